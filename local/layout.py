"""What a local stack leaves for other processes and gives every function, without the stack.

`python -m local invoke` against a running stack reads its files and runs a function with this
environment, and needs nothing else of local/stack.py, whose imports (moto among them) cost a
third of that command's CPU and half of `generate-event`'s.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.resources import Physical
from local.template import REGION

REPO = Path(__file__).resolve().parent.parent
OUTPUTS_FILE = "outputs.json"
# The physical ids of the template's resources, for `python -m local invoke` (local.invoke).
RESOURCES_FILE = "resources.json"
DEMO_USERNAME = "demo@stint.local"
DEMO_DISPLAY_NAME = "Demo"
# Upper and lower case, digits and a symbol: whatever the pool's policy requires.
DEMO_PASSWORD = "Stint-Demo-2026"
# Any value works for moto; real-looking ones keep botocore's signer happy.
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
# Variables that would point the SDK at a real account's configuration.
_FOREIGN_AWS_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN")


@dataclass(frozen=True)
class Settings:
    """What a local stack is started with (`python -m local`'s options)."""

    template: Path
    port: int  # 0: a free port
    moto_port: int  # 0: a free port
    state_dir: Path
    clean: bool = False  # forget the saved state and start with none


def lambda_environment(endpoint_url: str) -> dict[str, str]:
    """What Lambda and the local stack set for every function, besides the template's."""
    return {
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
        # botocore's per-service variables (named after the service id, e.g. "DynamoDB
        # Streams" -> DYNAMODB_STREAMS); AWS_ENDPOINT_URL catches every other service.
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint_url,
        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": endpoint_url,
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": endpoint_url,
        "AWS_EC2_METADATA_DISABLED": "true",
        "TZ": "UTC",  # Lambda runs in UTC
        "STINT_LOCAL": "1",
    }


def forget_foreign_aws_variables() -> None:
    """Drop the variables that would point the functions' SDK at a real account."""
    for name in _FOREIGN_AWS_VARIABLES:
        os.environ.pop(name, None)


def physical_ids(resources: dict[str, Physical]) -> dict[str, Any]:
    """The provisioned resources as JSON (`read_physical_ids` reads it back)."""
    return {
        logical_id: {"ref": physical.ref, "attributes": physical.attributes}
        for logical_id, physical in resources.items()
    }


def read_physical_ids(path: Path) -> dict[str, Physical]:
    content = json.loads(path.read_text(encoding="utf-8"))
    return {
        logical_id: Physical(item["ref"], dict(item["attributes"]))
        for logical_id, item in content.items()
    }


def write_json_atomically(path: Path, content: dict[str, Any]) -> None:
    """Readers see no file or the whole file, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
