"""template.yaml -> plain CloudFormation (JSON), by the SAM translator that `sam deploy` uses.

Run with the SAM venv's Python (aws-sam-translator lives there; it pins its own pydantic):
`.venv-sam/bin/python -m tools.translate [template.yaml] > template.cfn.json`. Local code paths
(`CodeUri`, `ContentUri`) become `s3://<ArtifactsBucket>/<path>.zip`, as `sam package` would
make them, so the output can be created by a CloudFormation (tests/test_cloudformation.py
creates it in moto's).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from local.template import CloudFormationLoader

ARTIFACTS_BUCKET = "stint-artifacts"
_LOCAL_CODE = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}


class _NoManagedPolicies:
    """The translator asks for AWS managed policies by name; the template names none."""

    def load(self) -> dict[str, str]:
        return {}


def artifact_key(local_path: str) -> str:
    return local_path.strip("/") + ".zip"


def translate(path: Path) -> dict[str, Any]:
    # Only the SAM venv has it (tests import this module's constants from the project's venv).
    from samtranslator.translator.transform import transform

    template = yaml.load(path.read_text(encoding="utf-8"), Loader=CloudFormationLoader)
    for resource in template["Resources"].values():
        key = _LOCAL_CODE.get(resource.get("Type"))
        properties = resource.get("Properties", {})
        if key and isinstance(properties.get(key), str):
            properties[key] = f"s3://{ARTIFACTS_BUCKET}/{artifact_key(properties[key])}"
        resource.get("Metadata", {}).pop("BuildMethod", None)
    parameters = {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012"}
    result: dict[str, Any] = transform(template, parameters, _NoManagedPolicies())
    return result


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("template.yaml")
    json.dump(translate(path), sys.stdout, indent=1, sort_keys=True, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
