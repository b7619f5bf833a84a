"""Money is exact: hourlyRate and plannedBudget are Decimals with at most 2 decimals, stored as
DynamoDB numbers exactly as sent and read back without float (docs/DESIGN.md, "Values")."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from stint.models import HOURLY_RATE_MAX, PLANNED_BUDGET_MAX, ProjectFields
from stint.services.catalog import create_project, get_project
from stint.services.common import Caller
from stint.store import Store, dynamodb, entity_sk, from_item, to_item


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        (95, Decimal(95)),
        (Decimal("95.5"), Decimal("95.5")),  # as the API parses a body: parse_float=Decimal
        (Decimal("95.50"), Decimal("95.5")),
        (Decimal("95.0"), Decimal(95)),
        (Decimal("1E+2"), Decimal(100)),
        (95.55, Decimal("95.55")),  # a float (Python callers): its shortest repr
        (0, Decimal(0)),
        (Decimal("0.07"), Decimal("0.07")),
    ],
)
def test_money_is_kept_exactly(sent: Any, kept: Decimal) -> None:
    for name in ("hourlyRate", "plannedBudget"):
        value = getattr(ProjectFields.model_validate({name: sent}), name)
        assert isinstance(value, Decimal) and value == kept
        assert str(value) == str(kept)  # one form per value: "95", never "95.0" or "1E+2"


@pytest.mark.parametrize(
    "sent",
    [
        Decimal("95.555"),
        95.555,
        Decimal("0.001"),
        -1,
        Decimal("-0.01"),
        "95",
        True,
        float("nan"),
        float("inf"),
        Decimal("1E+400"),
        [95],
    ],
)
def test_bad_money_is_refused(sent: Any) -> None:
    for name in ("hourlyRate", "plannedBudget"):
        with pytest.raises(ValidationError) as raised:
            ProjectFields.model_validate({name: sent})
        assert raised.value.errors()[0]["loc"] == (name,)


def test_money_bounds() -> None:
    assert ProjectFields(hourlyRate=HOURLY_RATE_MAX).hourlyRate == HOURLY_RATE_MAX
    assert ProjectFields(plannedBudget=PLANNED_BUDGET_MAX).plannedBudget == PLANNED_BUDGET_MAX
    with pytest.raises(ValidationError):
        ProjectFields(hourlyRate=HOURLY_RATE_MAX + Decimal("0.01"))
    with pytest.raises(ValidationError):
        ProjectFields(plannedBudget=PLANNED_BUDGET_MAX + 1)


def test_numbers_round_trip_through_dynamodb_items_without_float() -> None:
    item = to_item({"rate": Decimal("95.55"), "whole": Decimal(95), "count": 3})
    assert item == {"rate": {"N": "95.55"}, "whole": {"N": "95"}, "count": {"N": "3"}}
    back = from_item(item)
    assert back == {"rate": Decimal("95.55"), "whole": 95, "count": 3}
    assert type(back["rate"]) is Decimal and type(back["whole"]) is int
    assert type(from_item({"x": {"N": "0.1"}})["x"]) is Decimal


@pytest.mark.usefixtures("table")
def test_a_project_stores_and_returns_its_money_exactly() -> None:
    caller = Caller("u-money", "u-money")
    fields = ProjectFields.model_validate(
        json.loads(
            '{"title": "Acme", "hourlyRate": 95.55, "plannedBudget": 1234567890.1}',
            parse_float=Decimal,
        )
    )
    created = create_project(caller, fields)
    raw = dynamodb().get_item(
        TableName=Store(caller.user_id)._table,
        Key={
            "pk": {"S": Store(caller.user_id).pk},
            "sk": {"S": entity_sk("project", created.entity["id"])},
        },
    )["Item"]
    assert raw["hourlyRate"] == {"N": "95.55"}
    assert raw["plannedBudget"] == {"N": "1234567890.1"}
    project = get_project(caller, created.entity["id"]).entity
    assert project["hourlyRate"] == Decimal("95.55") and type(project["hourlyRate"]) is Decimal
    assert project["plannedBudget"] == Decimal("1234567890.1")
