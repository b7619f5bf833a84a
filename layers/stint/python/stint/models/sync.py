"""Sync (SyncFunction): a page of changes, a list per kind and the deleted ones' tombstones."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, NotRequired

from pydantic import Field
from typing_extensions import TypedDict

from stint import kinds
from stint.models.base import BaseModel
from stint.models.entities import ENTITY_MODELS
from stint.models.values import KindName
from stint.models.workspaces import Workspace


class Tombstone(BaseModel):
    type: KindName | Literal["workspace"] = Field(
        description="`workspace`: the caller left it, was removed, or it was deleted: drop"
        " everything of it"
    )
    id: str
    lastUpdated: str


if TYPE_CHECKING:
    SyncPage = dict[str, Any]
else:
    # A sync page: a list per kind (omitted when empty) and the deleted ones' tombstones.
    SyncPage = TypedDict(
        "SyncPage",
        {
            "syncToken": str,
            "hasMore": bool,
            **{
                kinds.KINDS[kind].plural: NotRequired[list[model]]
                for kind, model in ENTITY_MODELS.items()
            },
            "workspaces": NotRequired[list[Workspace]],
            "deleted": NotRequired[list[Tombstone]],
        },
    )
