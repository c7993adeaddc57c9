"""Validates template.yaml offline, the way that catches real mistakes: the SAM transform (what
`sam validate` runs), then cfn-lint on the CloudFormation it generates. cfn-lint alone does not expand
SAM resources and misses broken !Ref/!GetAtt, bad runtimes and bad event properties.

    python -m lstack.validate_template [template.yaml]
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform

from .template import REGION, Template

REPO_DIR = Path(__file__).resolve().parents[2]


class _NoManagedPolicies:
    """The transform asks IAM for managed policy ARNs; offline there are none to look up."""

    def load(self) -> dict:
        return {}


def translate(path: Path) -> dict:
    doc = Template(path).doc
    for res in doc["Resources"].values():
        if res["Type"] == "AWS::Serverless::Function" and not str(res["Properties"].get("CodeUri", "")).startswith("s3://"):
            # What `sam validate` does with a local CodeUri: point it at a placeholder package.
            res["Properties"]["CodeUri"] = "s3://placeholder-bucket/placeholder.zip"
    import os
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    return transform(doc, {}, _NoManagedPolicies())


def validate(path: Path) -> list[str]:
    """Problems found, as lines; empty when the template is valid."""
    try:
        generated = translate(path)
    except InvalidDocumentException as e:
        return [f"SAM: {cause.message}" for cause in e.causes] or [f"SAM: {e}"]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(generated, f)
    lint = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), "--regions", REGION, "--", f.name],
                          capture_output=True, text=True)
    Path(f.name).unlink()
    return [line for line in lint.stdout.splitlines() if line.strip()] + (
        [lint.stderr.strip()] if lint.returncode not in (0,) and lint.stderr.strip() else [])


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else REPO_DIR / "template.yaml"
    problems = validate(path)
    for p in problems:
        print(p)
    print(f"validate_template: {path.name}: {'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
