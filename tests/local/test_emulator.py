"""The emulator keeps DynamoDB's transaction promises (docs/DESIGN.md, "The local stack")."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

WRITERS = 8
INCREMENTS_EACH = 10


def client(stack: dict[str, Any], service: str = "dynamodb") -> Any:
    return boto3.client(service, region_name="us-east-1", endpoint_url=stack["CognitoEndpointUrl"])


def increment(client: Any, table: str, key: dict[str, Any]) -> int:
    """The design's counter: read it, write it back +1 on condition, retry on conflict."""
    while True:
        item = client.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
        current = int(item["n"]["N"])
        update = {
            "TableName": table,
            "Key": key,
            "UpdateExpression": "SET n = :next",
            "ConditionExpression": "n = :current",
            "ExpressionAttributeValues": {
                ":current": {"N": str(current)},
                ":next": {"N": str(current + 1)},
            },
        }
        entity = {"TableName": table, "Item": {"pk": {"S": f"{key['pk']['S']}#{current + 1}"}}}
        try:
            client.transact_write_items(TransactItems=[{"Update": update}, {"Put": entity}])
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            continue
        return current + 1


def test_concurrent_conditional_counter_loses_no_update(stack: dict[str, Any]) -> None:
    table, key = stack["TableName"], {"pk": {"S": f"COUNTER#{uuid.uuid4()}"}}
    clients = [client(stack) for _ in range(WRITERS)]
    clients[0].put_item(TableName=table, Item={**key, "n": {"N": "0"}})
    acknowledged: list[int] = []
    errors: list[BaseException] = []

    def writer(own: Any) -> None:
        try:
            acknowledged.extend(increment(own, table, key) for _ in range(INCREMENTS_EACH))
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(own,)) for own in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, errors
    total = WRITERS * INCREMENTS_EACH
    final = clients[0].get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    assert int(final["n"]["N"]) == total
    assert sorted(acknowledged) == list(range(1, total + 1))


def stream_records(stack: dict[str, Any]) -> int:
    streams = client(stack, "dynamodbstreams")
    shards = streams.describe_stream(StreamArn=stack["StreamArn"])["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(
        StreamArn=stack["StreamArn"],
        ShardId=shards[0]["ShardId"],
        ShardIteratorType="TRIM_HORIZON",
    )["ShardIterator"]
    return len(streams.get_records(ShardIterator=iterator, Limit=1000)["Records"])


def test_cancelled_transaction_leaves_no_trace(stack: dict[str, Any]) -> None:
    """Rolled back: the writes before the failing action, and their stream records."""
    dynamodb, table, run = client(stack), stack["TableName"], uuid.uuid4().hex
    existing = {"pk": {"S": f"ROLLBACK#{run}#existing"}}
    created = {"pk": {"S": f"ROLLBACK#{run}#created"}}
    dynamodb.put_item(TableName=table, Item={**existing, "v": {"N": "1"}})
    records = stream_records(stack)

    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": created}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": existing,
                        "UpdateExpression": "SET v = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": {"pk": {"S": f"ROLLBACK#{run}#missing"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )

    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert "Item" not in dynamodb.get_item(TableName=table, Key=created, ConsistentRead=True)
    item = dynamodb.get_item(TableName=table, Key=existing, ConsistentRead=True)["Item"]
    assert item["v"] == {"N": "1"}
    assert stream_records(stack) == records
