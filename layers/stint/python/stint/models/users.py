"""The caller's profile (`/v1/me`): the user as returned, and the PATCH that changes it."""

from __future__ import annotations

from stint.models.base import BaseModel, Ignored, RequestBody, absent
from stint.models.values import ClientId, Title


class User(BaseModel):
    id: str
    displayName: str
    email: str
    defaultProject: str
    personalWorkspaceId: str


class UserPatch(RequestBody):
    displayName: Title = absent()
    defaultProject: ClientId = absent()
    id: Ignored = None
    email: Ignored = None
    personalWorkspaceId: Ignored = None
