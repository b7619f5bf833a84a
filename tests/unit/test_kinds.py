"""The registry of entity kinds (stint.kinds) is where every list of kinds comes from."""

from __future__ import annotations

import typing

import pytest

from stint import kinds, models
from stint.store import entity_sk, index_keys, parent_key


def test_every_kind_has_its_model_and_its_list_in_a_sync_page() -> None:
    assert set(models.ENTITY_MODELS) == set(kinds.NAMES)
    page = typing.get_type_hints(models.SyncPage)
    assert {kind.plural for kind in kinds.KINDS.values()} <= set(page)


def test_the_document_literals_come_from_the_registry() -> None:
    assert set(typing.get_args(models.KindName)) == set(kinds.NAMES)
    assert set(typing.get_args(models.SearchType)) == set(kinds.SEARCHABLE)
    assert set(typing.get_args(models.TriggerType)) == {
        *kinds.TRIGGERS,
        "stopped_time",
        "approval",
        "budget",
    }


@pytest.mark.parametrize("kind", list(kinds.KINDS.values()), ids=lambda kind: kind.name)
def test_each_kind_has_its_own_prefix_and_a_parent_that_is_a_kind(kind: kinds.Kind) -> None:
    prefixes = [other.prefix for other in kinds.KINDS.values()]
    assert prefixes.count(kind.prefix) == 1
    assert entity_sk(kind.name, "x") == f"{kind.prefix}#x"
    if kind.parent is not None:
        assert kind.parent.kind in kinds.KINDS
    for reference in kind.references:  # a reference is no index key: never the parent's field
        assert reference.kind in kinds.KINDS
        assert kind.parent is None or reference.field != kind.parent.field


def test_a_projects_client_is_a_reference_whose_deletion_finds_it() -> None:
    assert kinds.referrers("client") == [("project", "clientId")]
    assert kinds.referrers("tag") == []


@pytest.mark.parametrize(
    "kind", [k for k in kinds.KINDS.values() if k.parent], ids=lambda kind: kind.name
)
def test_an_entity_with_a_parent_is_indexed_under_it(kind: kinds.Kind) -> None:
    assert kind.parent is not None
    entity = {"id": "e1", kind.parent.field: "p1", **dict.fromkeys(kind.index_fields.values(), "v")}
    keys = index_keys(kind.name, entity)
    assert keys["parent"] == parent_key(kind.parent.kind, "p1", kind.name, "e1")
    assert "parent" not in index_keys(kind.name, {**entity, kind.parent.field: None})
