"""docs/DESIGN.md, "Workspaces": deleting a shared workspace marks its record first, under its
version, so nobody but its owner reaches it from then on; a deletion cut short (the function
died) is finished by the owner's next DELETE, and leaves nothing of the workspace behind."""

from __future__ import annotations

import pytest

from stint.errors import NotFound
from stint.models import MemberBody, ProjectFields, WorkspaceFields
from stint.services import access, catalog, invitations, workspaces
from stint.store import Partition, workspace_pk
from stint.store import workspaces as workspace_store

from .conftest import join, pool_user


class Died(Exception):
    """The function stopped mid-way (a timeout, a crash)."""


def _small_transactions(monkeypatch: pytest.MonkeyPatch, along: bool) -> None:
    """A deletion's transactions hold fewer items (as a large workspace's would): the last
    one 3 of the partition's, and the mark the other members' and the invitations' links only
    if `along`."""
    monkeypatch.setattr(workspace_store, "_WITH_THE_RECORD", 3)
    if not along:
        never = staticmethod(lambda links: False)
        monkeypatch.setattr(workspace_store.WorkspaceStore, "unlinked_when_marked", never)


@pytest.mark.parametrize("along", [True, False], ids=["links-with-the-mark", "links-after"])
@pytest.mark.parametrize("step", ["_delete_items", "_delete_last"])
def test_a_deletion_cut_short_is_finished_by_the_next(
    pool: str, monkeypatch: pytest.MonkeyPatch, step: str, along: bool
) -> None:
    """Cut short as it deletes the items of the partition (BatchWriteItem), or as it deletes the
    last of them with the record (one transaction)."""
    (owner, _), (member, email), (invitee, invited) = (pool_user(pool, n) for n in (1, 2, 3))
    space = workspaces.create_workspace(owner, WorkspaceFields(name="Studio")).entity["id"]
    join(owner, space, member, email)
    invitations.invite(owner, space, MemberBody(email=invited))
    for n in range(30):  # more than one BatchWriteItem's worth beyond the last transaction's
        catalog.create_project(owner, ProjectFields(title=f"p{n}", workspaceId=space))
    _small_transactions(monkeypatch, along)

    def die(*_: object) -> None:
        raise Died()

    monkeypatch.setattr(workspace_store, step, die)
    with pytest.raises(Died):
        workspaces.delete_workspace(owner, space, None)
    # Marked: the member and the invitee reach nothing of it any more.
    with pytest.raises(NotFound):
        workspaces.get_workspace(member, space)
    assert invitations.my_invitations(invitee, limit=10, next_token=None) == ([], None)
    with pytest.raises(NotFound):
        workspaces.get_workspace(owner, space)  # nor does its owner, but to finish the job

    monkeypatch.undo()
    _small_transactions(monkeypatch, along)
    workspaces.delete_workspace(owner, space, None)
    assert list(Partition(workspace_pk(space, personal=False)).query_all(between=("0", "~"))) == []
    assert [w["id"] for w in workspaces.list_workspaces(owner)] == [owner.user_id]
    assert [w["id"] for w in workspaces.list_workspaces(member)] == [member.user_id]
    assert access.shared_ids(owner) == access.shared_ids(member) == []  # no membership left
    with pytest.raises(NotFound):
        workspaces.delete_workspace(owner, space, None)  # done: nothing left to delete
