"""The user's profile and default project (`/v1/me`; the post-confirmation trigger)."""

from __future__ import annotations

import logging
import time
from typing import Any

from stint import aws
from stint.config import settings
from stint.errors import StintError, Unauthorized, invalid_field
from stint.models import UserPatch, new_entity
from stint.services.common import Caller, Versioned, check_if_match, load_field, new_id
from stint.store import Put, PutProfile, Require, Store, UnitOfWork, WorkspaceStore, retrying

log = logging.getLogger(__name__)

DEFAULT_PROJECT_TITLE = "Inbox"

# Users whose profile this container has seen; saves a read on every later request.
_profiles_seen: set[str] = set()

# How long a container trusts its last look at the pool for a user (docs/DESIGN.md, "Values"):
# a token outlives its user's deletion from the pool, which only AdminGetUser tells.
POOL_CHECK_SECONDS = 60.0
# Users this container found in the pool: when, and their (email, name).
_pool_checked: dict[str, tuple[float, tuple[str, str]]] = {}


class _ProfileExists(StintError):
    status = 409


def create_profile(user_id: str, email: str, display_name: str) -> dict[str, Any]:
    """Create the profile and its default project once; return the profile that exists."""
    store = Store(user_id)
    inbox = new_entity("project", id=new_id(), title=DEFAULT_PROJECT_TITLE)
    profile = {
        "id": user_id,
        "email": email,
        "displayName": display_name or email.split("@")[0],
        "defaultProject": inbox["id"],
    }
    try:
        # Exactly once by its own condition, and made before an idempotent request's own write
        # (which that request holds for its key's record): sent at once.
        store.commit(
            [
                PutProfile(
                    profile, expect_version=None, on_conflict=_ProfileExists("profile exists")
                ),
                Put("project", inbox),
            ],
            send_now=True,
        )
    except _ProfileExists:  # created meanwhile (the trigger, or another first request)
        log.info("profile of %s exists already: answering it", user_id)
        existing = store.get_profile()
        assert existing is not None
        return existing
    return profile


def ensure_profile(caller: Caller, store: Store | None = None) -> dict[str, Any] | None:
    """Make sure the caller's profile exists (created on the spot where the trigger did not),
    read through `store` if given. Returns it when it was read or created here, None when this
    container had seen it."""
    if caller.user_id in _profiles_seen:
        return None
    record = (store or Store(caller.user_id)).get_profile()
    if record is None:
        email, name = _cognito_attributes(caller)
        record = create_profile(caller.user_id, email, name)
    _profiles_seen.add(caller.user_id)
    return record


def check_in_pool(caller: Caller) -> None:
    """Unauthorized (401, docs/API.md "Errors") when the caller's user is no longer in the pool
    (deleted while their token is still valid). Looked at once per POOL_CHECK_SECONDS per user
    in a container: one AdminGetUser, never a DynamoDB read."""
    checked = _pool_checked.get(caller.user_id)
    if checked is None or time.monotonic() - checked[0] >= POOL_CHECK_SECONDS:
        _cognito_attributes(caller, fresh=True)


def _cognito_attributes(caller: Caller, *, fresh: bool = False) -> tuple[str, str]:
    """The user's email and name in the pool (a recent look's, unless `fresh`)."""
    pool_id = settings().user_pool_id
    if not pool_id:
        return "", ""
    checked = _pool_checked.get(caller.user_id)
    if checked is not None and not fresh:
        return checked[1]
    idp = aws.client("cognito-idp")
    try:
        user = idp.admin_get_user(UserPoolId=pool_id, Username=caller.username)
    except idp.exceptions.UserNotFoundException as error:
        log.info("user %s is not in the pool (deleted): 401", caller.user_id)
        _pool_checked.pop(caller.user_id, None)
        raise Unauthorized("the token's user no longer exists") from error
    attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
    found = attributes.get("email", ""), attributes.get("name", "")
    _pool_checked[caller.user_id] = (time.monotonic(), found)
    return found


def profile(caller: Caller, known: dict[str, Any] | None = None) -> Versioned:
    """The caller's profile, versioned: its ETag is the profile's `version`. `known`: the
    profile as this request already read or created it (the HTTP layer's), not read again."""
    record = known or ensure_profile(caller) or Store(caller.user_id).get_profile()
    assert record is not None
    return Versioned(public_user(record), int(record.get("version", 1)))


def public_user(record: dict[str, Any]) -> dict[str, Any]:
    user = {k: record[k] for k in ("id", "displayName", "email", "defaultProject")}
    return {**user, "personalWorkspaceId": record["id"]}  # a user's personal workspace: theirs


def update_profile(caller: Caller, patch: UserPatch, if_match: str | None = None) -> Versioned:
    ensure_profile(caller)

    def attempt() -> tuple[Versioned, str]:
        """The profile as written, and the display name it replaced."""
        store = UnitOfWork(caller.user_id)
        record = store.get_profile()
        assert record is not None
        version = int(record.get("version", 1))
        on_conflict = check_if_match(if_match, {"seq": version})
        updated = public_user(record)
        changes: list[Any] = []
        if patch.displayName is not None:
            updated["displayName"] = patch.displayName
        if patch.defaultProject is not None:
            project = load_field(store, "project", patch.defaultProject, "defaultProject")
            if project.get("isArchived"):
                raise invalid_field("defaultProject", "must not be an archived project")
            updated["defaultProject"] = patch.defaultProject
            changes.append(
                Require(
                    "project",
                    patch.defaultProject,
                    on_conflict=invalid_field("defaultProject", "the project was deleted"),
                )
            )
        changes.insert(0, PutProfile(updated, expect_version=version, on_conflict=on_conflict))
        store.commit(changes)
        return Versioned(updated, version + 1), str(record.get("displayName", ""))

    result, previous_name = retrying(attempt)
    if previous_name != result.entity["displayName"]:
        # Workspaces show copies of their members' display names.
        WorkspaceStore.refresh_member(caller.user_id, {"displayName": result.entity["displayName"]})
    return result


def default_project_id(caller: Caller, store: Store) -> str:
    """The caller's default project, read through `store` (a unit of work may have read the
    profile ahead)."""
    # The profile as created here, if it is: a unit of work may have read it ahead as missing.
    record = ensure_profile(caller, store) or store.get_profile()
    assert record is not None
    return str(record["defaultProject"])
