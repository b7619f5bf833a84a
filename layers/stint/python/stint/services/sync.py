"""Delta sync across the caller's workspaces (docs/DESIGN.md, "Sync"; docs/API.md, "Sync
tokens").

Each workspace has its own change sequence (its partition's counter). A token holds, for each
workspace of the caller, the seq up to which the client has everything. A page reads each
workspace in turn (the personal one first, then the shared ones by id): one consistent query
on its `bySeq` index for `position < seq <= upto`, where `upto` is its counter read just
before: every write with a seq up to it had committed when it was read (the counter is written
in the same transaction), so no write is ever skipped, and the cost is the changes since the
token plus one counter read a workspace, not the size of the account.

A shared workspace is read as two streams (store.keys, `byStream`), each with its own
position: its catalog, up to its counter, queried only when the counter item's `catalog` says
it changed since; and the caller's own sessions, up to their stream's counter item, queried
only when that moved. Both are single items read with the counter, so colleagues' sessions
cost a member's sync nothing. A workspace the caller has joined since the token is read whole;
one they left, were removed from or that was deleted is listed in `deleted` as `{type:
"workspace", id}`.
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
from stint.store import (
    COUNTER_SK,
    WORKSPACE_SK,
    batch_get,
    entity_of,
    member_counter_sk,
    workspace_pk,
)
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
    # shared workspace id -> the seq up to which the client has the caller's own sessions (none:
    # a token from before they had a stream of their own, its position)
    mine: dict[str, int] = field(default_factory=dict)
    # the shared workspaces where the caller did not see money (None: a token from before)
    blind: list[str] | None = None

    def encode(self) -> str:
        fields: dict[str, Any] = {"p": self.positions, "t": self.issued, "u": self.user}
        if self.bases:
            fields["b"] = self.bases
        if self.mine:
            fields["m"] = self.mine
        if self.blind is not None:
            fields["w"] = self.blind
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
            mine = dict(fields.get("m", {}))
            blind = fields.get("w")
            blind = None if blind is None else list(blind)
            token = cls(
                dict(positions), fields["t"], fields["u"], dict(bases), overseen, mine, blind
            )
        except jsonio.OverLimit as error:
            raise ValidationFailed(f"syncToken: {error}", code="invalid_json") from error
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise _invalid() from error
        numbers = [
            token.issued,
            *token.positions.values(),
            *token.bases.values(),
            *token.mine.values(),
        ]
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers):
            raise _invalid()
        keys = [
            *token.positions,
            *token.bases,
            *token.mine,
            *(token.overseen or ()),
            *(token.blind or ()),
        ]
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
    """A workspace of the caller as this page found it: the caller in it, its counter (every
    change with a seq up to it had committed when it was read) and, of a shared one, where its
    catalog's stream and the caller's sessions' stream last changed (None: a personal one)."""

    member: access.Membership
    upto: int
    catalog: int | None = None
    mine: int | None = None
    private_seen: bool = True  # a project was ever made private in it (else: all see all)


def _workspaces_now(caller: Caller) -> tuple[list[_Now], dict[str, Any] | None]:
    """The caller's workspaces with their counters, and the personal workspace's record: one
    Query of the memberships, one BatchGetItem of every record and counter (and, in a shared
    one, the caller's stream counter). A workspace being deleted, or gone since its membership
    was read, is not one of them."""
    personal = access.personal(caller)
    shared = [workspace_pk(i, personal=False) for i in access.shared_ids(caller)]
    mine_sk = member_counter_sk(caller.user_id)
    keys = [(pk, sk) for pk in [personal.pk, *shared] for sk in (WORKSPACE_SK, COUNTER_SK)]
    found = batch_get([*keys, *((pk, mine_sk) for pk in shared)])

    def counter(pk: str, sk: str = COUNTER_SK, name: str = "counter") -> int:
        return max(int(found.get((pk, sk), {}).get(name, 0)), 0)

    def private_seen(pk: str) -> bool:
        return bool(found.get((pk, COUNTER_SK), {}).get("privateSeen", False))

    now = [_Now(personal, counter(personal.pk))]
    for pk in shared:
        member = access.member_of(caller, found.get((pk, WORKSPACE_SK)))
        if member is not None:
            catalog, mine_end = counter(pk, name="catalog"), counter(pk, mine_sk)
            now.append(_Now(member, counter(pk), catalog, mine_end, private_seen(pk)))
    return now, found.get((personal.pk, WORKSPACE_SK))


@dataclass(frozen=True)
class _Stream:
    """One run of a workspace's changes, in seq order, that a sync reads from `after`: a
    personal workspace's whole sequence (`owner` unused), a shared one's catalog (`owner`
    None) or the caller's own sessions there. `last`: the seq of its last change (nothing new
    when not after `after`); `upto`: where its position goes once read."""

    found: _Now
    owner: str | None
    after: int
    upto: int
    last: int

    @property
    def whole(self) -> bool:
        return self.found.catalog is None

    def read(self, caller: Caller, limit: int) -> tuple[list[dict[str, Any]], bool]:
        store = self.found.member.store(caller)
        if self.whole:
            return store.changes(self.after, self.upto, limit)
        return store.stream_changes(self.owner, self.after, self.upto, limit)


def _streams(caller: Caller, found: _Now, after: int, mine_after: int) -> list[_Stream]:
    """What a sync reads of a workspace, in order (the catalog before the sessions in it)."""
    if found.catalog is None or found.mine is None:
        return [_Stream(found, None, after, found.upto, found.upto)]
    return [
        _Stream(found, None, after, found.upto, found.catalog),
        _Stream(found, caller.user_id, mine_after, found.mine, found.mine),
    ]


@dataclass
class _Page:
    """A sync page being filled: the lists, the room left, and the positions it moves."""

    positions: dict[str, int]
    own: dict[str, int]  # shared workspace -> the position of the caller's own sessions
    bases: dict[str, int]
    left: int
    grouped: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    has_more: bool = False
    reached: set[str] = field(default_factory=set)  # the workspaces this page started reading

    def read(self, caller: Caller, stream: _Stream, workspace_id: str) -> None:
        """Read what is new in `stream`, as far as the page has room (else `has_more`)."""
        kept = self.own if stream.owner is not None else self.positions
        if stream.last <= stream.after:  # nothing new here: no query
            kept[workspace_id] = max(stream.after, stream.upto)
            return
        if self.left <= 0:  # no room left on this page
            self.has_more = True
            return
        records, more = stream.read(caller, self.left)
        base = self.bases.get(workspace_id)
        member = stream.found.member
        listed, gone = private_projects.changes_seen(
            caller, member, records, base, judged=stream.found.private_seen
        )
        for record in listed:
            _add(self.grouped, record, base, caller.user_id)
        self.grouped["deleted"] += gone
        # A subtree an audience change re-sends counts too (a page may go over `limit` by it).
        self.left = max(self.left - max(len(records), len(listed) + len(gone)), 0)
        kept[workspace_id] = stream.upto
        if more:
            kept[workspace_id] = int(records[-1]["seq"]) if records else stream.after
            self.has_more = True

    def start(self, found: _Now, token: SyncToken | None) -> int:
        """Where this page reads a workspace from: the token's position; 0 (read whole) for one
        new to the client, or whose money the caller has come to see or stopped seeing since
        (so every entity with money fields comes again as the caller may read it now, over the
        client's copy: docs/API.md, "Money"), its deletions since the token still news."""
        workspace_id = found.member.workspace_id
        self.reached.add(workspace_id)
        after = self.positions.get(workspace_id, 0)
        if after > found.upto:
            raise _invalid()
        if token is None or workspace_id not in token.positions:  # new: live ones only
            self.bases.setdefault(workspace_id, found.upto)
        elif token.blind is not None and (workspace_id in token.blind) == found.member.sees_money:
            own = self.own.get(workspace_id, after)
            self.bases[workspace_id] = min(after, own, self.bases.get(workspace_id, after))
            self.positions[workspace_id] = after = 0
        else:
            return after
        if found.mine is not None:
            self.own[workspace_id] = 0
        return 0

    def forget(self, current: set[str]) -> None:
        """List every workspace the token knows that is not `current` as deleted. One a page
        reached but did not read (a base, no position) is dropped too: back, it is new again."""
        for kept in (self.own, self.bases):
            for workspace_id in [w for w in kept if w not in current]:
                del kept[workspace_id]
        for workspace_id in [w for w in self.positions if w not in current]:
            del self.positions[workspace_id]
            stamp = format_timestamp(utc_now())
            self.grouped["deleted"].append(
                {"type": "workspace", "id": workspace_id, "lastUpdated": stamp}
            )


def sync(caller: Caller, sync_token: str | None, limit: int) -> dict[str, Any]:
    now = int(time.time())
    token = _read_token(caller, sync_token, now)
    mine, personal_record = _workspaces_now(caller)
    known = token.positions if token else {}
    page = _Page(
        dict(known), dict(token.mine) if token else {}, dict(token.bases) if token else {}, limit
    )
    if token is not None and token.overseen is not None:
        # What a role change re-sends counts too (a page may go over `limit` by it).
        page.left = max(page.left - _sight_changes(caller, mine, token, page.grouped), 0)
    for found in mine:
        workspace_id = found.member.workspace_id
        after = page.start(found, token)
        for stream in _streams(caller, found, after, page.own.get(workspace_id, after)):
            page.read(caller, stream, workspace_id)
            if page.has_more:
                break
        if page.has_more:
            break
        page.bases.pop(workspace_id, None)
    page.forget({found.member.workspace_id for found in mine})
    issued = token.issued if token and page.has_more else now
    overseen = sorted(f.member.workspace_id for f in mine if access.sees_all(f.member))
    blind = _blind(mine, token, page.reached)
    user = _user_tag(caller.user_id)
    bases = page.bases if page.has_more else {}
    next_token = SyncToken(page.positions, issued, user, bases, overseen, page.own, blind)
    answer: dict[str, Any] = {"syncToken": next_token.encode(), "hasMore": page.has_more}
    # Always the whole list (small, read with the counters): a client keeps it up to date by
    # replacing its own.
    answer["workspaces"] = [workspaces.view(found.member, personal_record) for found in mine]
    answer.update(_once(page.grouped))
    return answer


def _blind(mine: list[_Now], token: SyncToken | None, reached: set[str]) -> list[str]:
    """The workspaces where the caller does not see money, as the next token keeps them: now for
    those this page reached, as before for those it did not (their change is still to come)."""
    before = set(token.blind) if token is not None and token.blind is not None else None
    return sorted(
        f.member.workspace_id
        for f in mine
        if (
            not f.member.sees_money
            if before is None or f.member.workspace_id in reached
            else f.member.workspace_id in before
        )
    )


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
