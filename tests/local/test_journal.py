"""The emulator's journal replays into the state the live calls made (local/journal.py).

In this process: an emulator whose calls are journaled after a snapshot; then the snapshot is
loaded again and the journal replayed; moto's backends, pickled, are the same bytes as the
live ones: the same Cognito `sub`s, tokens and dates, the same stream records, the same SQS
message ids and receipt handles.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pycognito.aws_srp import AWSSRP

from local import journal
from local.emulator import Emulator
from local.persistence import Persistence, _backend_dicts, _dumps, _key_reduction

PASSWORD = "Journal-Pass-1234"


@pytest.fixture
def emulator(forget_moto_state: None) -> Iterator[Emulator]:
    emulator = Emulator().start()
    yield emulator
    emulator.stop()


def live_calls(emulator: Emulator) -> dict[str, Any]:
    """Calls of every kind the stack makes; what they answered."""
    idp = emulator.client("cognito-idp")
    pool = idp.create_user_pool(PoolName="journal")["UserPool"]["Id"]
    client = idp.create_user_pool_client(UserPoolId=pool, ClientName="c")["UserPoolClient"]
    idp.sign_up(ClientId=client["ClientId"], Username="ann@example.com", Password=PASSWORD)
    idp.admin_confirm_sign_up(UserPoolId=pool, Username="ann@example.com")
    time.sleep(0.01)  # the replay must give the tokens this moment, not its own
    tokens = idp.initiate_auth(
        ClientId=client["ClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ann@example.com", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    # SRP: one sign-in answered, one left at its challenge (the server's secret numbers come
    # from moto's seeded generator, and are kept on its backend: local/srp.py).
    pending = []
    for answered in (True, False):
        srp = AWSSRP("ann@example.com", PASSWORD, pool, client["ClientId"], client=idp)
        parameters = srp.get_auth_params()
        challenge = idp.initiate_auth(
            ClientId=client["ClientId"], AuthFlow="USER_SRP_AUTH", AuthParameters=parameters
        )
        proof = srp.process_challenge(challenge["ChallengeParameters"], parameters)
        if answered:
            idp.respond_to_auth_challenge(
                ClientId=client["ClientId"],
                ChallengeName="PASSWORD_VERIFIER",
                ChallengeResponses=proof,
            )
        else:
            pending.append({"ClientId": client["ClientId"], "ChallengeResponses": proof})

    dynamodb = emulator.client("dynamodb")
    dynamodb.create_table(
        TableName="journal",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    dynamodb.put_item(TableName="journal", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "journal", "Item": {"pk": {"S": "b"}}}},
            {
                "Update": {
                    "TableName": "journal",
                    "Key": {"pk": {"S": "a"}},
                    "UpdateExpression": "SET n = n + :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
        ]
    )
    failed = dynamodb.exceptions.ConditionalCheckFailedException
    with pytest.raises(failed):  # a failed call is journaled too: it changes nothing again
        dynamodb.put_item(
            TableName="journal",
            Item={"pk": {"S": "a"}},
            ConditionExpression="attribute_not_exists(pk)",
        )
    dynamodb.delete_item(TableName="journal", Key={"pk": {"S": "b"}})

    sqs = emulator.client("sqs")
    queue = sqs.create_queue(QueueName="journal")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="one")
    sqs.send_message(QueueUrl=queue, MessageBody="two")
    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1)["Messages"]
    return {"tokens": tokens, "received": received, "srp": pending[0]}


def plain(value: Any, path: frozenset[int] = frozenset()) -> Any:
    """`value` as plain data to compare: objects as their class and attributes, sets sorted
    (moto keeps some objects in sets, ordered by their address), locks and methods left out."""
    if isinstance(value, (str, bytes, int, float, bool, type(None))):
        return value
    if id(value) in path:
        return "<cycle>"
    inner = path | {id(value)}
    if isinstance(value, dict):
        return {repr(k): plain(v, inner) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, inner) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(repr(plain(v, inner)) for v in value)
    if callable(value) or "lock" in type(value).__name__.lower():
        return type(value).__name__
    key = _key_reduction(value)  # a signing key: its DER
    if key is not None:
        return key[1][0]
    if hasattr(value, "__dict__"):
        return [type(value).__qualname__, plain(vars(value), inner)]
    return repr(value)


def test_a_replayed_journal_makes_the_state_the_live_calls_made(
    emulator: Emulator, tmp_path: Path
) -> None:
    first = Persistence(emulator, tmp_path)
    first.restore()
    assert first.save()  # the snapshot the journal follows
    answers = live_calls(emulator)
    with emulator.app.lock:
        live = plain(pickle.loads(_dumps(_backend_dicts())))
    assert [n for n, _ in journal.journals(tmp_path)] == [2]
    assert any(
        b"AdminConfirmSignUp" in r["environ"].get("HTTP_X_AMZ_TARGET", "").encode()
        for r in journal.read(tmp_path / journal.journal_name(2))
    )

    for _, _, backends in _backend_dicts().values():  # empty, as a new process has them
        dict.clear(backends)
    again = Persistence(emulator, tmp_path)  # as a start after a kill does
    assert again.restore()
    with emulator.app.lock:
        replayed = plain(pickle.loads(_dumps(_backend_dicts())))
    assert replayed == live
    assert answers["received"][0]["MessageId"] in str(live)  # what was compared is the state

    # And what the live calls answered still holds: the refresh token, the receipt handle.
    idp = emulator.client("cognito-idp")
    pool = idp.list_user_pools(MaxResults=60)["UserPools"]
    assert pool
    # The SRP challenge begun before the restart is answered after it.
    signed_in = idp.respond_to_auth_challenge(ChallengeName="PASSWORD_VERIFIER", **answers["srp"])
    assert signed_in["AuthenticationResult"]["AccessToken"]
    receipt = answers["received"][0]["ReceiptHandle"]
    sqs = emulator.client("sqs")
    queue = sqs.get_queue_url(QueueName="journal")["QueueUrl"]
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=receipt)


def test_a_torn_record_ends_the_journal(tmp_path: Path) -> None:
    path = tmp_path / journal.journal_name(1)
    written = journal.Journal(path)
    written.append({"part": "a", "value": 1})
    written.append({"part": "b", "value": 2})
    written.close()
    data = path.read_bytes()
    path.write_bytes(data[:-3])  # the last record cut short, as a machine's crash may leave it
    assert list(journal.read(path)) == [{"part": "a", "value": 1}]
