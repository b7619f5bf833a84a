"""Write a deployed stack's outputs as the file the API tests read (`STINT_OUTPUTS`).

    .venv/bin/python -m tools.stack_outputs [--env default] [--out outputs.json]

The stack's name and region are the samconfig.toml environment's (`make outputs ENV=prod`).
The file maps each `OutputKey` to its `OutputValue`, as `.stint/outputs.json` does locally.
"""

from __future__ import annotations

import argparse
import json
import tomllib
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def environment(name: str, config: Path = REPO / "samconfig.toml") -> dict[str, Any]:
    """The environment's global parameters (stack_name, region) from samconfig.toml."""
    settings = tomllib.loads(config.read_text(encoding="utf-8"))
    if name not in settings:
        known = ", ".join(key for key in settings if isinstance(settings[key], dict))
        raise SystemExit(f"samconfig.toml has no environment {name!r} (it has: {known})")
    parameters: dict[str, Any] = settings[name].get("global", {}).get("parameters", {})
    return parameters


def stack_outputs(stack_name: str, region: str) -> dict[str, str]:
    import boto3

    cloudformation = boto3.client("cloudformation", region_name=region)
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", default="default", help="samconfig.toml environment")
    parser.add_argument("--out", type=Path, default=REPO / "outputs.json")
    args = parser.parse_args()
    parameters = environment(args.env)
    outputs = stack_outputs(parameters["stack_name"], parameters.get("region", "us-east-1"))
    args.out.write_text(json.dumps(outputs, indent=2) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(outputs)} outputs of {parameters['stack_name']}")


if __name__ == "__main__":
    main()
