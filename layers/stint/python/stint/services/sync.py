"""Delta sync across the caller's workspaces (docs/DESIGN.md, "Sync"; docs/API.md, "Sync
tokens").

Each workspace has its own change sequence (its partition's counter). A token holds, for each
workspace of the caller, the seq up to which the client has everything. A page reads each
workspace in turn (the personal one first, then the shared ones by id): one consistent query
on its `bySeq` index for `position < seq <= upto`, where `upto` is its counter read just
before: every write with a seq up to it had committed when it was read (the counter is written
in the same transaction), so no write is ever skipped, and the cost is the changes since the
token plus one counter read a workspace, not the size of the account. A workspace the caller
has joined since the token is read whole; one they left, were removed from or that was
deleted is listed in `deleted` as `{type: "workspace", id}`.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from stint import jsonio
from stint.config import settings
from stint.errors import StintError, ValidationFailed
from stint.kinds import KINDS
from stint.services import access, private_projects, workspaces
from stint.services.common import Caller
from stint.store import COUNTER_SK, WORKSPACE_SK, batch_get, entity_of, workspace_pk
from stint.timeutil import format_timestamp, utc_now

FULL_SYNC = "*"


class SyncTokenExpired(StintError):
    status = 410
    code = "sync_token_expired"


def _invalid() -> ValidationFailed:
    return ValidationFailed(
        "syncToken: not a token this API issued to you; use * for a full sync",
        code="invalid_sync_token",
    )


@dataclass(frozen=True)
class SyncToken:
    # workspace id -> the seq up to which the client has everything of it
    positions: dict[str, int]
    issued: int  # epoch seconds: every change after the positions was written after this
    user: str  # whose workspaces it counts
    # while a full read of a workspace pages: its tombstones up to here are not news
    bases: dict[str, int] = field(default_factory=dict)
    # the workspaces where the caller saw every project (None: a token from before it was kept)
    overseen: list[str] | None = None

    def encode(self) -> str:
        fields: dict[str, Any] = {"p": self.positions, "t": self.issued, "u": self.user}
        if self.bases:
            fields["b"] = self.bases
        if self.overseen is not None:
            fields["o"] = self.overseen
        return jsonio.to_token(fields)

    @classmethod
    def decode(cls, text: str, user_id: str) -> SyncToken:
        try:
            fields = jsonio.from_token(text)
            if "s" in fields:  # a token from before workspaces: the personal sequence
                positions = {user_id: fields["s"]}
                bases = {user_id: fields["b"]} if fields.get("b") is not None else {}
            else:
                positions, bases = fields["p"], fields.get("b", {})
            overseen = fields.get("o")
            overseen = None if overseen is None else list(overseen)
            token = cls(dict(positions), fields["t"], fields["u"], dict(bases), overseen)
        except jsonio.OverLimit as error:
            raise ValidationFailed(f"syncToken: {error}", code="invalid_json") from error
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise _invalid() from error
        numbers = [token.issued, *token.positions.values(), *token.bases.values()]
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers):
            raise _invalid()
        keys = [*token.positions, *token.bases, *(token.overseen or ())]
        if not isinstance(token.user, str) or not all(isinstance(k, str) for k in keys):
            raise _invalid()
        return token


def _user_tag(user_id: str) -> str:
    return hashlib.sha256(user_id.encode()).hexdigest()[:12]


def _read_token(caller: Caller, sync_token: str | None, now: int) -> SyncToken | None:
    if sync_token in (None, "", FULL_SYNC):
        return None
    assert sync_token is not None
    token = SyncToken.decode(sync_token, caller.user_id)
    if token.user != _user_tag(caller.user_id):
        raise _invalid()
    if now - token.issued > settings().tombstone_retention_days * 86400:
        raise SyncTokenExpired("The sync token is older than the tombstone retention; sync *")
    return token


@dataclass(frozen=True)
class _Now:
    """A workspace of the caller as this page found it: the caller in it, and its counter (every
    change with a seq up to it had committed when it was read)."""

    member: access.Membership
    upto: int


def _workspaces_now(caller: Caller) -> tuple[list[_Now], dict[str, Any] | None]:
    """The caller's workspaces with their counters, and the personal workspace's record: one
    Query of the memberships, one BatchGetItem of every record and counter. A workspace being
    deleted, or gone since its membership was read, is not one of them."""
    personal = access.personal(caller)
    shared = access.shared_ids(caller)
    pks = [personal.pk, *(workspace_pk(i, personal=False) for i in shared)]
    found = batch_get((pk, sk) for pk in pks for sk in (WORKSPACE_SK, COUNTER_SK))

    def counter(pk: str) -> int:
        return max(int(found.get((pk, COUNTER_SK), {}).get("counter", 0)), 0)

    now = [_Now(personal, counter(personal.pk))]
    for pk in pks[1:]:
        member = access.member_of(caller, found.get((pk, WORKSPACE_SK)))
        if member is not None:
            now.append(_Now(member, counter(pk)))
    return now, found.get((personal.pk, WORKSPACE_SK))


def sync(caller: Caller, sync_token: str | None, limit: int) -> dict[str, Any]:
    now = int(time.time())
    token = _read_token(caller, sync_token, now)
    mine, personal_record = _workspaces_now(caller)
    known = token.positions if token else {}
    positions: dict[str, int] = dict(known)
    bases: dict[str, int] = dict(token.bases) if token else {}
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    has_more = False
    left = limit
    if token is not None and token.overseen is not None:
        left -= _sight_changes(caller, mine, token, grouped)
    for found in mine:
        workspace_id, upto = found.member.workspace_id, found.upto
        after = known.get(workspace_id, 0)
        if after > upto:
            raise _invalid()
        if workspace_id not in known:  # new to the client: read whole, live ones only
            bases.setdefault(workspace_id, upto)
        if after == upto:  # nothing new here: no query
            positions[workspace_id] = upto
            bases.pop(workspace_id, None)
            continue
        if not left:  # no room left on this page
            has_more = True
            break
        store = found.member.store(caller)
        records, more = store.changes(after, upto, left)
        base = bases.get(workspace_id)
        listed, gone = private_projects.changes_seen(caller, found.member, records, base)
        for record in listed:
            _add(grouped, record, base, caller.user_id)
        grouped["deleted"] += gone
        # A subtree an audience change re-sends counts too (a page may go over `limit` by it).
        left = max(left - max(len(records), len(listed) + len(gone)), 0)
        if more:
            positions[workspace_id] = int(records[-1]["seq"]) if records else after
            has_more = True
            break
        positions[workspace_id] = upto
        bases.pop(workspace_id, None)
    current = {found.member.workspace_id for found in mine}
    for workspace_id in [w for w in known if w not in current]:
        positions.pop(workspace_id, None)
        bases.pop(workspace_id, None)
        stamp = format_timestamp(utc_now())
        grouped["deleted"].append({"type": "workspace", "id": workspace_id, "lastUpdated": stamp})
    issued = token.issued if token and has_more else now
    overseen = sorted(f.member.workspace_id for f in mine if access.sees_all(f.member))
    user = _user_tag(caller.user_id)
    next_token = SyncToken(positions, issued, user, bases if has_more else {}, overseen)
    page: dict[str, Any] = {"syncToken": next_token.encode(), "hasMore": has_more}
    # Always the whole list (small, read with the counters): a client keeps it up to date by
    # replacing its own.
    page["workspaces"] = [workspaces.view(found.member, personal_record) for found in mine]
    page.update(_once(grouped))
    return page


def _sight_changes(
    caller: Caller, mine: list[_Now], token: SyncToken, grouped: dict[str, list[dict[str, Any]]]
) -> int:
    """A role change since the token (a manager made a member, or back) changes what the caller
    sees of every private project of that workspace: each one's subtree as it is now, listed or
    deleted (`private_projects.sight_changed`). How many entries that made."""
    made = 0
    for found in mine:
        workspace_id = found.member.workspace_id
        if workspace_id not in token.positions:  # new to the client: read whole anyway
            continue
        if (workspace_id in (token.overseen or ())) == access.sees_all(found.member):
            continue
        listed, gone = private_projects.sight_changed(caller, found.member)
        for record in listed:
            _add(grouped, record, None, caller.user_id)
        grouped["deleted"] += gone
        made += len(listed) + len(gone)
    return made


def _once(grouped: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Each entity once (a subtree re-sent may repeat a change of the same page), and not in
    `deleted` when it is listed live: both were read after the page's counter, so any later
    change has a later seq and comes in the next sync."""
    lists = {
        name: list({e["id"]: e for e in entities}.values())
        for name, entities in grouped.items()
        if name != "deleted"
    }
    live = {(kind.name, e["id"]) for kind in KINDS.values() for e in lists.get(kind.plural, [])}
    deleted = {
        (d["type"], d["id"]): d
        for d in grouped.get("deleted", [])
        if (d["type"], d["id"]) not in live
    }
    if deleted:
        lists["deleted"] = list(deleted.values())
    return {name: entities for name, entities in lists.items() if entities}


def _add(
    grouped: dict[str, list[dict[str, Any]]],
    record: dict[str, Any],
    base: int | None,
    user_id: str,
) -> None:
    """A changed record into its list: a tombstone into `deleted` (unless `base` says the
    client never had it), an entity into its kind's; other members' sessions are theirs
    (read through `GET /v1/sessions?workspaceId=&userId=`), not in the caller's sync."""
    if record["kind"] == "tombstone":
        if base is None or int(record["seq"]) > base:
            grouped["deleted"].append({k: record[k] for k in ("type", "id", "lastUpdated")})
    elif record["kind"] in KINDS:
        entity = entity_of(record)
        if record["kind"] == "session" and entity.get("userId", user_id) != user_id:
            return
        grouped[KINDS[record["kind"]].plural].append(entity)
