"""Request-body rules: strict types, unknown fields, titles, timestamps, nulls."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from stint.models import (
    CategoryBody,
    CategoryFields,
    ProjectBody,
    ProjectFields,
    SubtaskFields,
    TaskFields,
)
from stint.timeutil import format_timestamp, parse_timestamp


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-22T09:30:00+01:00", "2026-11-22T08:30:00.000Z"),
        ("2026-11-22T08:30:00Z", "2026-11-22T08:30:00.000Z"),
        ("2026-11-22t08:30:00.123456789z", "2026-11-22T08:30:00.123Z"),
        ("2026-11-22T23:30:00.5-02:00", "2026-11-23T01:30:00.500Z"),
    ],
)
def test_timestamps_with_offsets_become_utc_milliseconds(text: str, expected: str) -> None:
    assert format_timestamp(parse_timestamp(text)) == expected


@pytest.mark.parametrize(
    "text", ["2026-11-22T09:30:00", "2026-11-22", "09:30", "2026-13-01T00:00:00Z", "", "now"]
)
def test_timestamps_without_offset_or_invalid_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(text)


def test_format_is_utc_with_z() -> None:
    assert format_timestamp(datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)) == (
        "2026-01-02T03:04:05.678Z"
    )


def test_titles_are_trimmed_and_bounded() -> None:
    assert ProjectFields(title="  Acme ").title == "Acme"
    assert ProjectFields(title=" " + "a" * 500 + " ").title == "a" * 500
    for bad in ["", "   ", "a" * 501]:
        with pytest.raises(ValidationError):
            ProjectFields(title=bad)


@pytest.mark.parametrize(
    "fields",
    [
        {"isArchived": "true"},
        {"isArchived": 1},
        {"roundingMinutes": "15"},
        {"roundingMinutes": 1.5},
        {"hourlyRate": "10"},
        {"hourlyRate": True},
        {"title": 5},
        {"unknown": 1},
        {"id": "bad id"},
        {"isArchived": None},
        {"lastUpdated": "2026-11-22T09:30:00"},
    ],
)
def test_project_fields_are_strict(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ProjectFields.model_validate(fields)


def test_nullable_fields_accept_null_and_server_fields_are_ignored() -> None:
    fields = ProjectFields.model_validate(
        {"color": None, "categoryId": None, "hourlyRate": 12, "lastUpdated": "2026-11-22T09:30:00Z"}
    )
    assert fields.model_dump(exclude_unset=True, exclude={"lastUpdated"}) == {
        "color": None,
        "categoryId": None,
        "hourlyRate": 12,
    }
    task = TaskFields.model_validate({"status": "in_progress", "title": "t"})
    assert task.title == "t"


def test_envelopes_forbid_extra_keys() -> None:
    with pytest.raises(ValidationError):
        ProjectBody.model_validate({"project": {}, "other": 1})
    with pytest.raises(ValidationError):
        CategoryBody.model_validate({"category": {"title": "c", "color": "red"}})


@pytest.mark.parametrize("model", [ProjectFields, CategoryFields, TaskFields, SubtaskFields])
def test_a_patch_writes_every_field_sent_but_the_server_managed_ones(model: type) -> None:
    names = set(model.model_fields)
    sent = model.model_construct(_fields_set=names, **dict.fromkeys(names))
    # Read-only: changed by events, or fixed at creation (a task's and a subtask's workspace is
    # its parent's, and its creator the caller).
    server_managed = {"id", "lastUpdated", "status"} & names
    if model.__name__ in ("TaskFields", "SubtaskFields"):
        server_managed |= {"workspaceId", "createdBy"} & names
    if model.__name__ == "ProjectFields":  # its own routes change it
        server_managed |= {"members"}
    assert set(sent.written()) == names - server_managed
