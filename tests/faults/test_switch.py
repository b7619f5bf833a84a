"""The fault switch itself (local.faults): plans, answers on the wire, dying, the control route."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from local.emulator import Emulator
from local.faults import FaultConfigError, FaultPlan, FaultSwitch
from local.layout import CREDENTIALS
from tests.api.conftest import new_api
from tests.pipeline import GATEWAY_CRASH, fault_state, set_faults

# Faults are switched on for the whole stack: no other test may use it meanwhile.
pytestmark = pytest.mark.exclusive


def test_a_plan_is_read_from_json_or_pairs() -> None:
    assert FaultPlan.parse('{"throttle": 0.5, "seed": 3}') == FaultPlan(seed=3, throttle=0.5)
    assert FaultPlan.parse("die=0.25, sqs_send=1") == FaultPlan(die=0.25, sqs_send=1.0)
    assert not FaultPlan.parse("").active


@pytest.mark.parametrize("text", ["throttle=2", "bogus=0.1", "seed=x", "[1]", "{"])
def test_a_plan_that_cannot_be_read_is_refused(text: str) -> None:
    with pytest.raises(FaultConfigError):
        FaultPlan.parse(text)


def test_the_same_seed_draws_the_same_faults() -> None:
    def draws(seed: int) -> list[bool]:
        switch = FaultSwitch(FaultPlan(seed=seed, throttle=0.5))
        return [switch.draw("throttle", "GetItem") is not None for _ in range(50)]

    assert draws(1) == draws(1) != draws(2)


@pytest.fixture(scope="module")
def emulator() -> Iterator[tuple[Emulator, FaultSwitch]]:
    emulator = Emulator().start()
    switch = FaultSwitch()
    emulator.app.interceptors.append(switch.intercept)
    emulator.client("dynamodb").create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    yield emulator, switch
    emulator.stop()


def test_throttling_reaches_the_client_after_botocores_retries(
    emulator: tuple[Emulator, FaultSwitch],
) -> None:
    server, switch = emulator
    retries = Config(retries={"mode": "standard", "max_attempts": 3})
    dynamodb = boto3.client(
        "dynamodb", region_name=server.region, endpoint_url=server.url, config=retries,
        **CREDENTIALS,
    )  # fmt: skip
    switch.set(FaultPlan(throttle=1.0))
    try:
        with pytest.raises(ClientError) as raised:
            dynamodb.get_item(TableName="t", Key={"pk": {"S": "a"}})
    finally:
        state = switch.state()
        switch.set(FaultPlan())
    code = raised.value.response["Error"]["Code"]
    assert code in ("ProvisionedThroughputExceededException", "ThrottlingException")
    # botocore retried each faulted attempt, as it would AWS's.
    retried = raised.value.response["ResponseMetadata"]["RetryAttempts"]
    assert retried >= 1
    assert state["injected"]["throttle"] == retried + 1
    assert dynamodb.get_item(TableName="t", Key={"pk": {"S": "a"}})["ResponseMetadata"]


def test_a_transaction_conflict_names_its_item(emulator: tuple[Emulator, FaultSwitch]) -> None:
    server, switch = emulator
    put = {"Put": {"TableName": "t", "Item": {"pk": {"S": "b"}}}}
    check = {"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "c"}},
                                "ConditionExpression": "attribute_not_exists(pk)"}}  # fmt: skip
    switch.set(FaultPlan(transaction_conflict=1.0))
    try:
        with pytest.raises(ClientError) as raised:
            server.client("dynamodb").transact_write_items(TransactItems=[put, check])
    finally:
        switch.set(FaultPlan())
    reasons = [reason["Code"] for reason in raised.value.response["CancellationReasons"]]
    assert sorted(reasons) == ["None", "TransactionConflict"]
    assert switch.state()["injected"]["transaction_conflict"] == 0  # set() restarted the count
    item = server.client("dynamodb").get_item(TableName="t", Key={"pk": {"S": "b"}})
    assert "Item" not in item  # a faulted call never reaches moto


def test_the_control_route_answers_the_loopback_only() -> None:
    switch = FaultSwitch()
    answers: list[str] = []
    environ = {
        "PATH_INFO": "/_local/faults",
        "REQUEST_METHOD": "POST",
        "REMOTE_ADDR": "10.0.0.7",
        "CONTENT_LENGTH": "17",
        "wsgi.input": io.BytesIO(b'{"throttle": 1.0}'),
    }
    switch.control_app(environ, lambda status, headers: answers.append(status))
    assert answers == ["404 Not Found"]
    assert not switch.plan.active


def test_a_function_that_dies_after_its_write_is_the_gateways_502(stack: dict[str, Any]) -> None:
    api = new_api(stack)
    set_faults(stack, die=1.0)
    try:
        response = api.post("/v1/projects", json={"project": {"title": "written, unanswered"}})
        state = fault_state(stack)
    finally:
        set_faults(stack)
    assert response.status_code == 502
    assert response.json() == GATEWAY_CRASH
    assert state["injected"]["die"] == 1
    titles = [p["title"] for p in api.get("/v1/projects").json()["projects"]]
    assert "written, unanswered" in titles  # it died after its write


def test_faults_are_counted_by_kind_and_operation(stack: dict[str, Any]) -> None:
    api = new_api(stack)
    set_faults(stack, internal_error=0.3, seed=5)
    try:
        for _ in range(20):  # enough calls that a share of 0.3 faults some, whatever the seed
            api.get("/v1/projects")
        state = fault_state(stack)
    finally:
        set_faults(stack)
    assert state["plan"]["internal_error"] == 0.3
    assert state["injected"]["internal_error"] == sum(
        count for name, count in state["byOperation"].items() if name.startswith("internal_error")
    )
    assert state["injected"]["internal_error"] > 0
    bad = requests.post(stack["ApiUrl"] + "/_local/faults", json={"die": 3}, timeout=30)
    assert bad.status_code == 400
