"""A deleted entity that others name (a category its projects, a client its projects) is never
left named: a project made to name it between the delete's read and its commit is read again
(services/entities.py, `delete_clearing`). Regression: a category's delete used to commit
over such a project, which then named a category that was gone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from stint.models import CategoryFields, ClientFields, ProjectFields
from stint.services import catalog
from stint.services.common import Caller
from stint.services.users import create_profile
from stint.store import Store, UnitOfWork


@pytest.mark.usefixtures("table")
@pytest.mark.parametrize("kind", ["category", "client"])
def test_a_project_named_meanwhile_is_cleared_too(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = f"u-{uuid.uuid4().hex}"
    create_profile(user, "u@example.com", "U")
    caller = Caller(user, user)
    field = f"{kind}Id"
    if kind == "category":
        named = catalog.create_category(caller, CategoryFields(title="C")).entity["id"]
    else:
        named = catalog.create_client(caller, ClientFields(name="C")).entity["id"]
    first = catalog.create_project(caller, ProjectFields(title="A", **{field: named}))
    late = catalog.create_project(caller, ProjectFields(title="B"))
    reads = UnitOfWork.query_all

    def read_then_move(self: Store, **kwargs: Any) -> Iterator[dict[str, Any]]:
        yield from reads(self, **kwargs)  # type: ignore[arg-type]
        if not moved:  # between the delete's read and its commit, once
            moved.append(True)
            fields = ProjectFields.model_validate({field: named})
            catalog.update_project(caller, late.entity["id"], fields, None)

    moved: list[bool] = []
    monkeypatch.setattr(UnitOfWork, "query_all", read_then_move)
    delete = catalog.delete_category if kind == "category" else catalog.delete_client
    delete(caller, named, if_match=None)
    assert moved, "the project was moved while the delete read"
    for project_id in (first.entity["id"], late.entity["id"]):
        assert catalog.get_project(caller, project_id).entity[field] is None
