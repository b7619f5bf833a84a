"""The floor of a cold start: a bare handler that makes the same DynamoDB calls with plain
boto3 and nothing else (no Powertools, no pydantic, no Stint).

The calls are the ones the Stint function made for the same event, recorded by
`bench/coldstart.py` and named by the environment variable BENCH_FLOOR_CALLS (a JSON list of
`[service, operation, parameters]`). A call that fails (a condition) fails here too; that
is part of the same work.
"""

import contextlib
import json
import os

import boto3
from botocore import xform_name
from botocore.exceptions import ClientError

with open(os.environ["BENCH_FLOOR_CALLS"]) as source:
    CALLS = json.load(source)
clients = {service: boto3.client(service) for service in {c[0] for c in CALLS}}


def lambda_handler(event: dict[str, object], context: object) -> dict[str, object]:
    for service, operation, params in CALLS:
        with contextlib.suppress(ClientError):
            getattr(clients[service], xform_name(operation))(**params)
    return {"statusCode": 200, "headers": {}, "body": json.dumps({"calls": len(CALLS)})}
