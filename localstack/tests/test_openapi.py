"""docs/openapi.yaml is a valid OpenAPI document, and every operation in it is routed by template.yaml."""
from __future__ import annotations

import re

import pytest
import yaml
from openapi_spec_validator import validate

from conftest import REPO
from lstack.template import Template

SPEC = yaml.safe_load((REPO / "docs" / "openapi.yaml").read_text())


def test_the_document_is_valid_openapi():
    validate(SPEC)


@pytest.mark.parametrize("path,method", [(p, m) for p, ops in SPEC["paths"].items() for m in ops if m != "parameters"])
def test_every_operation_is_routed(path, method):
    template = Template(REPO / "template.yaml")
    concrete = re.sub(r"\{[^}]+\}", "someone", path)
    route = template.match(method.upper(), concrete)
    assert route is not None and route.path != "/api/{proxy+}", f"{method.upper()} {path} reaches no function"
