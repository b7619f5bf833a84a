"""Tags (docs/API.md, "Tags"): the body that writes one, and the answers."""

from __future__ import annotations

from typing import NotRequired

from typing_extensions import TypedDict

from stint.models.base import BaseModel, RequestBody, absent
from stint.models.entities import Tag
from stint.models.values import ClientId, HexColor, IgnoredTimestamp, TagName


class TagPatchFields(RequestBody):
    """Writable tag fields; a PATCH sets only those present."""

    name: TagName = absent()
    color: HexColor | None = None
    workspaceId: ClientId = absent("The workspace to create it in (default: the personal one)")
    id: ClientId = absent()
    lastUpdated: IgnoredTimestamp | None = None


class TagFields(TagPatchFields):
    """A new tag's fields: as a PATCH's, its name required."""

    name: TagName


class TagBody(RequestBody):
    tag: TagFields


class TagPatch(RequestBody):
    tag: TagPatchFields


class TagEnvelope(BaseModel):
    tag: Tag


class TagList(TypedDict):
    tags: list[Tag]
    nextToken: NotRequired[str]
