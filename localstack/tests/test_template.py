"""The local stack reads template.yaml correctly, and the template is valid SAM/CloudFormation."""
from __future__ import annotations

import json
import shutil
import subprocess
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


# --- the edge: CloudFront in front of the API and the static site --------------------------------------
API_FUNCTIONS = ("AuthFunction", "CollectorFunction", "AnalyticsFunction")


def accepted(env: dict) -> list[str]:
    """The values ORIGIN_VERIFY lets through: the secret, then the previous one during a rotation."""
    return [v for v in env["ORIGIN_VERIFY"].split(",") if v]


def test_the_edge_secret_is_one_local_value_for_the_front_and_the_functions(template):
    env = template.environment()
    assert len(accepted(env)) == 1, "no previous value unless a rotation sets OriginVerifyPrevious"
    value = accepted(env)[0]
    assert len(value) == 48 and value.isalnum()  # GenerateSecretString: 48, no punctuation
    # What the distribution sends the API is what the functions require.
    assert template.origin_headers("/api/events") == {"x-origin-verify": value}
    assert template.secret_value(template.name_of("OriginVerifySecret")) == value
    # The static site gets no such header; another run gets another value.
    assert template.origin_headers("/index.html") == {}
    assert accepted(Template(TEMPLATE, LOCAL).environment()) != [value]


def test_every_function_behind_the_api_requires_the_edge_secret(template):
    resources = template.doc["Resources"]
    header = resources["Distribution"]["Properties"]["DistributionConfig"]["Origins"][1]["OriginCustomHeaders"]
    for logical_id in API_FUNCTIONS:
        env = resources[logical_id]["Properties"]["Environment"]["Variables"]
        assert env["ORIGIN_VERIFY"] == {"Fn::Sub": header[0]["HeaderValue"]["Fn::Sub"] + ",${OriginVerifyPrevious}"}, \
            logical_id
    # The streamed exports are a function URL of their own, not behind the distribution.
    assert "ORIGIN_VERIFY" not in resources["AnalyticsStreamFunction"]["Properties"]["Environment"]["Variables"]


def test_during_a_rotation_the_functions_take_the_previous_value_too():
    template = Template(TEMPLATE, {**LOCAL, "OriginVerifyPrevious": "oldvalue"})
    current = template.origin_headers("/api/events")["x-origin-verify"]
    assert accepted(template.environment()) == [current, "oldvalue"]


def test_a_secret_given_for_the_run_is_what_references_resolve_to(template):
    template.secret_values[template.name_of("OriginVerifySecret")] = "kept"
    assert accepted(template.environment()) == ["kept"]
    assert template.origin_headers("/api/x") == {"x-origin-verify": "kept"}


@pytest.mark.parametrize("reference,want", [
    ("{{resolve:secretsmanager:OriginVerifySecret}}", "same"),
    ("{{resolve:secretsmanager:arn:aws:local:us-east-1:000000000000:OriginVerifySecret:SecretString}}", "same"),
    ("x-{{resolve:secretsmanager:AdminPasswordSecret:SecretString}}-y", "x-admin-y"),
    ("{{resolve:secretsmanager:OriginVerifySecret:SecretString:key}}", KeyError),
    ("{{resolve:secretsmanager:NoSuchSecret:SecretString}}", KeyError),
    ("{{resolve:ssm:/some/parameter}}", KeyError),
])
def test_dynamic_references(template, reference, want):
    if want is KeyError:
        with pytest.raises(KeyError):
            template.resolve(reference)
    else:
        same = template.secret_value("OriginVerifySecret")
        assert template.resolve(reference) == (same if want == "same" else want)


def test_bootstrap_stores_the_values_the_functions_get(template, moto_url):
    import boto3

    from conftest import AWS
    from lstack.bootstrap import create_secrets

    sm = boto3.client("secretsmanager", endpoint_url=moto_url, **AWS)
    create_secrets(template, sm, {template.name_of("JwtSecret"): "jwt-kept"})
    stored = sm.get_secret_value(SecretId=template.name_of("OriginVerifySecret"))["SecretString"]
    assert [stored] == accepted(template.environment())
    assert sm.get_secret_value(SecretId=template.name_of("JwtSecret"))["SecretString"] == "jwt-kept"


def test_cloudfront_viewer_headers_are_the_ones_trusted(template):
    env = template.environment()
    assert env["ADDRESS_HEADER"] == "cloudfront-viewer-address"  # collector (cookieless ids) and auth (limiter)
    assert env["COUNTRY_HEADER"] == "cloudfront-viewer-country"
    for logical_id in ("AuthFunction", "CollectorFunction"):
        assert "ADDRESS_HEADER" in template.doc["Resources"][logical_id]["Properties"]["Environment"]["Variables"]


def test_the_distribution_serves_the_panel_and_the_api(template):
    resources = template.doc["Resources"]
    config = resources["Distribution"]["Properties"]["DistributionConfig"]
    origins = {o["Id"]: o for o in config["Origins"]}
    default = config["DefaultCacheBehavior"]
    assert origins[default["TargetOriginId"]]["DomainName"] == {"Fn::GetAtt": ["FrontendBucket", "RegionalDomainName"]}
    # Client-side routes by a viewer-request function on the static site only: error pages would also
    # rewrite the API's own 403/404 answers.
    assert "CustomErrorResponses" not in config
    assert default["FunctionAssociations"] == [{"EventType": "viewer-request",
                                                "FunctionARN": {"Fn::GetAtt": ["SpaRoutesFunction", "FunctionARN"]}}]
    (api,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    assert "FunctionAssociations" not in api
    assert origins[api["TargetOriginId"]]["DomainName"]["Fn::Sub"].startswith("${HttpApi}.execute-api.")
    assert set(api["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
    # Only the distribution reads the bucket.
    (statement,) = resources["FrontendBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"} and statement["Action"] == "s3:GetObject"
    assert "${Distribution}" in statement["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
@pytest.mark.parametrize("uri,want", [
    ("/", "/index.html"), ("/login", "/index.html"), ("/admin/users", "/index.html"), ("/admin/", "/index.html"),
    ("/assets/index-abc123.js", "/assets/index-abc123.js"), ("/t.js", "/t.js"), ("/favicon.svg", "/favicon.svg"),
])
def test_the_client_side_routes_function(template, uri, want):
    code = template.doc["Resources"]["SpaRoutesFunction"]["Properties"]["FunctionCode"]
    script = code + f"\nprocess.stdout.write(handler({{request: {{uri: {json.dumps(uri)}}}}}).uri);"
    assert subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True).stdout == want


def test_every_function_logs_to_its_own_group_with_a_retention(template):
    resources = template.doc["Resources"]
    for logical_id, fn in template.functions().items():
        props = fn["Properties"]
        group = resources[props["LoggingConfig"]["LogGroup"]["Ref"]]
        assert group["Type"] == "AWS::Logs::LogGroup"
        # Lambda's own name for it, so that nothing else creates it first.
        assert group["Properties"]["LogGroupName"]["Fn::Sub"] == "/aws/lambda/" + props["FunctionName"]["Fn::Sub"]
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_the_operations_dashboard_is_json_and_charts_the_metrics_the_functions_emit(template):
    """CloudWatch refuses a dashboard whose body is not JSON, and a widget on a metric nobody emits stays
    empty: every custom metric on it must be one the functions write (their EMF lines)."""
    body = template.resources["OperationsDashboard"]["Properties"]["DashboardBody"]
    dashboard = json.loads(template.resolve(body))
    custom = set()
    for widget in dashboard["widgets"]:
        namespace = None
        for metric in widget["properties"]["metrics"]:
            if isinstance(metric[0], dict):
                continue  # an expression
            namespace = namespace if metric[0] == "." else metric[0]
            if namespace.startswith("Analytics/"):
                custom.add((namespace, metric[1]))
    sources = "".join(p.read_text() for p in (REPO / "functions").rglob("metrics.rs"))
    assert custom, "the dashboard shows the functions' own metrics"
    for namespace, name in sorted(custom):
        assert f'"{name}"' in sources and namespace in sources, f"{namespace} {name} is emitted by a function"
