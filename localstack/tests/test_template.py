"""The local stack reads template.yaml correctly, and the template is valid SAM/CloudFormation."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO
from lstack.template import Template
from lstack.validate_template import validate

TEMPLATE = REPO / "template.yaml"
LOCAL = {"AdminEmail": "admin@example.com", "AdminPassword": "admin", "ClickHouseUrl": "http://127.0.0.1:8123",
         "ClickHousePassword": ""}


@pytest.fixture
def template() -> Template:
    return Template(TEMPLATE, LOCAL)


@pytest.mark.parametrize("method,path,function", [
    ("GET", "/api/health", "auth"),
    ("POST", "/api/auth/login", "auth"),
    ("GET", "/api/auth/me", "auth"),
    ("GET", "/api/users", "auth"),
    ("PATCH", "/api/users/ada", "auth"),
    ("POST", "/api/events", "collector"),
    ("OPTIONS", "/api/events", "collector"),
    ("GET", "/api/analytics/overview", "analytics"),
    ("GET", "/api/whatever/else", "auth"),  # the fallback answers 404 in the API's shape
])
def test_routes_go_where_the_template_says(template, method, path, function):
    assert template.match(method, path).function == function


def test_paths_outside_the_api_are_not_routed(template):
    assert template.match("GET", "/index.html") is None


def test_environment_resolves_names_parameters_and_secrets(template):
    env = template.environment()
    assert env["USERS_TABLE"] == "analytics-users"
    assert env["EVENTS_STREAM"] == "analytics-events"
    assert env["ADMIN_EMAIL"] == "admin@example.com"
    assert env["CLICKHOUSE_URL"] == "http://127.0.0.1:8123"
    assert env["JWT_SECRET_ARN"] == template.name_of("JwtSecret")
    assert env["SIGNUP_ENABLED"] == "false"
    assert env["ADMIN_PASSWORD_SECRET_ARN"] == template.name_of("AdminPasswordSecret")
    assert env["CLICKHOUSE_PASSWORD_SECRET_ARN"] == template.name_of("ClickHousePasswordSecret")
    # Keys and passwords themselves never sit in the functions' configuration.
    assert not [k for k in env if ("SECRET" in k or "PASSWORD" in k) and not k.endswith("_SECRET_ARN")]


def test_prefix_parameter_renames_everything():
    t = Template(TEMPLATE, dict(LOCAL, Prefix="acme"))
    assert t.environment()["EVENTS_STREAM"] == "acme-events"
    assert t.stream_source().dead_letter_queue == "acme-events-dlq"


def test_stream_source_settings(template):
    s = template.stream_source()
    assert (s.function, s.stream, s.starting_position) == ("writer", "analytics-events", "TRIM_HORIZON")
    assert s.report_item_failures and s.bisect
    assert s.batch_size > 0
    assert s.max_retries == -1, "a ClickHouse outage must be retried, not skipped"


def test_functions_that_disagree_on_a_variable_are_refused(tmp_path):
    text = TEMPLATE.read_text().replace("USERS_TABLE: !Ref UsersTable", "USERS_TABLE: !Ref UsersTable\n          RUST_LOG: debug", 1)
    path = tmp_path / "template.yaml"
    path.write_text(text)
    t = Template(path, LOCAL)
    with pytest.raises(ValueError, match="RUST_LOG"):
        t.environment()


def test_the_template_is_valid():
    assert validate(TEMPLATE) == []


@pytest.mark.parametrize("old,new", [
    ("TableName: !Ref UsersTable", "TableName: !Ref NoSuchTable"),  # a broken reference
    ("Runtime: provided.al2023", "Runtime: rust1.x"),  # no such runtime
    ("StartingPosition: TRIM_HORIZON", "StartingPosition: SOMEWHERE"),  # a bad event property
])
def test_broken_templates_are_caught(tmp_path, old, new):
    text = TEMPLATE.read_text()
    assert old in text
    path = tmp_path / "template.yaml"
    path.write_text(text.replace(old, new, 1))
    assert validate(path) != []


def test_the_deploy_time_migration_knows_the_newest_schema(template):
    """CloudFormation re-runs the ClickHouseSchema resource only when its properties change: its
    SchemaVersion must follow the newest migration file."""
    files = sorted((REPO / "shared" / "migrations" / "clickhouse").glob("*.sql"))
    newest = int(files[-1].name.split("_", 1)[0])
    schema = template.doc["Resources"]["ClickHouseSchema"]
    assert schema["Properties"]["SchemaVersion"] == str(newest)
    assert schema["Properties"]["ServiceToken"] == {"Fn::GetAtt": ["MigrateFunction", "Arn"]}
