"""Sync (SyncFunction): a page of changes, a list per kind and the deleted ones' tombstones."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NotRequired

from typing_extensions import TypedDict

from stint import kinds
from stint.models.base import BaseModel
from stint.models.entities import ENTITY_MODELS
from stint.models.values import KindName


class Tombstone(BaseModel):
    type: KindName
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
            "deleted": NotRequired[list[Tombstone]],
        },
    )
