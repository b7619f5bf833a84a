"""Workspaces function: workspaces, their members and invitations, and their running timers
(docs/DESIGN.md, "Workspaces")."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from stint.api import CurrentCaller, IfMatch, Rerate, create_app, handler
from stint.models import (
    ApprovalBody,
    ApprovalDecision,
    ApprovalEnvelope,
    ApprovalList,
    ApprovalStatus,
    InvitationEnvelope,
    InvitationList,
    MemberBody,
    MemberEnvelope,
    MemberList,
    MemberPatch,
    SessionEnvelope,
    TimerStop,
    WorkspaceBody,
    WorkspaceEnvelope,
    WorkspaceList,
    WorkspacePatch,
    WorkspaceTimers,
    fails,
    returns,
    returns_nothing,
)
from stint.responses import created, entity_response, json_response, list_response, no_content
from stint.services import approvals, invitations, members, team_timers, workspaces

app = create_app()

_NOT_A_MEMBER = fails("`not_found`: no such workspace, or the caller is not a member")
_ROLE = fails("`forbidden`: the caller's role does not allow it")
_PERSONAL = "; the personal workspace: it has one member"
_STALE = fails("`precondition_failed`: If-Match does not match the workspace's ETag")


@app.get("/v1/workspaces", responses={200: returns("The caller's workspaces")})
def list_workspaces(caller: CurrentCaller) -> Response[WorkspaceList]:
    """List the caller's workspaces.

    The personal one first, then every shared one the caller is a member of.
    """
    return json_response(200, {"workspaces": workspaces.list_workspaces(caller)})


@app.post(
    "/v1/workspaces",
    responses={
        201: returns("The workspace; the caller is its owner", etag=True),
        409: fails("`conflict`: the caller belongs to 50 workspaces already"),
    },
)
def create_workspace(
    caller: CurrentCaller, body: Annotated[WorkspaceBody, Body()]
) -> Response[WorkspaceEnvelope]:
    """Create a shared workspace.

    The caller becomes its owner. `Location` is the workspace's URL.
    """
    result = workspaces.create_workspace(caller, body.workspace)
    return created(app, "workspace", result, "/v1/workspaces")


@app.get(
    "/v1/workspaces/<workspaceId>",
    responses={200: returns("The workspace", etag=True), 404: _NOT_A_MEMBER},
)
def get_workspace(caller: CurrentCaller, workspaceId: str) -> Response[WorkspaceEnvelope]:
    """Get a workspace.

    Members only; anyone else gets a 404 (so does any id that is not a workspace of theirs).
    """
    return entity_response(200, "workspace", workspaces.get_workspace(caller, workspaceId))


@app.patch(
    "/v1/workspaces/<workspaceId>",
    responses={
        200: returns("The workspace as changed", etag=True),
        403: _ROLE,
        404: _NOT_A_MEMBER,
        412: _STALE,
    },
)
def update_workspace(
    caller: CurrentCaller,
    workspaceId: str,
    body: Annotated[WorkspacePatch, Body()],
    if_match: IfMatch = None,
    rerate: Rerate = True,
) -> Response[WorkspaceEnvelope]:
    """Rename a workspace or change its settings.

    Owners and admins. A personal workspace may be renamed too. A new `billableRate`
    re-rates the sessions it governs in the background, unless `rerate=false`.
    """
    result = workspaces.update_workspace(
        caller, workspaceId, body.workspace, if_match, rerate=rerate
    )
    return entity_response(200, "workspace", result)


@app.delete(
    "/v1/workspaces/<workspaceId>",
    responses={
        204: returns_nothing("Deleted, with all it held"),
        403: _ROLE,
        404: _NOT_A_MEMBER,
        409: fails("`conflict`: the personal workspace cannot be deleted"),
        412: _STALE,
    },
)
def delete_workspace(caller: CurrentCaller, workspaceId: str, if_match: IfMatch = None) -> None:
    """Delete a shared workspace.

    The owner only. All it holds is deleted; each member's next sync lists it as deleted.
    """
    workspaces.delete_workspace(caller, workspaceId, if_match)
    return no_content()


@app.get(
    "/v1/workspaces/<workspaceId>/members",
    responses={
        200: returns("The members (and, for owners and admins, pending invitations)"),
        404: _NOT_A_MEMBER,
    },
)
def list_members(caller: CurrentCaller, workspaceId: str) -> Response[MemberList]:
    """List a workspace's members.

    Members only. Owners and admins also get the pending invitations.
    """
    return json_response(200, members.members(caller, workspaceId))


@app.post(
    "/v1/workspaces/<workspaceId>/members",
    responses={
        201: returns(
            "The invitation, made whether or not anyone has that email; its ETag is the"
            " workspace's new one",
            etag=True,
        ),
        403: _ROLE,
        404: _NOT_A_MEMBER,
        409: fails(
            "`conflict`: that email is a member or invited already, the workspace has 200"
            " members and pending invitations" + _PERSONAL
        ),
    },
)
def invite_member(
    caller: CurrentCaller, workspaceId: str, body: Annotated[MemberBody, Body()]
) -> Response[InvitationEnvelope]:
    """Invite someone to a workspace by email.

    Owners and admins (only the owner invites an admin). The answer is the same whether or not
    anyone has that email; the invitee joins only by accepting
    (`POST /v1/invitations/{invitationId}/accept`). `Location` is the invitation's URL
    (revoke it with `DELETE`).
    """
    result = invitations.invite(caller, workspaceId, body)
    return created(app, "invitation", result, f"/v1/workspaces/{workspaceId}/invitations")


@app.patch(
    "/v1/workspaces/<workspaceId>/members/<userId>",
    responses={
        200: returns("The member as changed; its ETag is the workspace's new one", etag=True),
        403: _ROLE,
        404: fails("`not_found`: no such workspace for the caller, or no such member"),
        409: fails(
            "`conflict`: the owner's role changes only by handing ownership over" + _PERSONAL
        ),
        412: _STALE,
    },
)
def change_role(
    caller: CurrentCaller,
    workspaceId: str,
    userId: str,
    body: Annotated[MemberPatch, Body()],
    if_match: IfMatch = None,
    rerate: Rerate = True,
) -> Response[MemberEnvelope]:
    """Change a member's role or rates.

    Owners and admins; only the owner makes or unmakes an admin. `role: "owner"` (by the
    owner) hands ownership over, the old owner becoming an admin. `billableRate` and
    `costRate` (`null` clears one) are their rates in this workspace; new rates re-rate
    their sessions in the background, unless `rerate=false`.
    """
    result = members.update_member(caller, workspaceId, userId, body, if_match, rerate=rerate)
    return entity_response(200, "member", result)


@app.delete(
    "/v1/workspaces/<workspaceId>/members/<userId>",
    responses={
        204: returns_nothing("Removed (or left)"),
        403: _ROLE,
        404: fails("`not_found`: no such workspace for the caller, or no such member"),
        409: fails("`conflict`: the owner cannot leave" + _PERSONAL),
        412: _STALE,
    },
)
def remove_member(
    caller: CurrentCaller, workspaceId: str, userId: str, if_match: IfMatch = None
) -> None:
    """Remove a member, or leave.

    Owners and admins remove members (admins: not the owner or another admin); anyone may
    leave but the owner. The member loses access at once.
    """
    members.remove_member(caller, workspaceId, userId, if_match)
    return no_content()


@app.delete(
    "/v1/workspaces/<workspaceId>/invitations/<invitationId>",
    responses={
        204: returns_nothing("Revoked"),
        403: _ROLE,
        404: fails("`not_found`: no such workspace for the caller, or no such pending invitation"),
        409: fails("`conflict`" + _PERSONAL),
        412: _STALE,
    },
)
def revoke_invitation(
    caller: CurrentCaller, workspaceId: str, invitationId: str, if_match: IfMatch = None
) -> None:
    """Revoke a pending invitation.

    Owners and admins. Honours `If-Match` against the workspace's ETag.
    """
    invitations.revoke_invitation(caller, workspaceId, invitationId, if_match)
    return no_content()


@app.get(
    "/v1/invitations",
    responses={200: returns("The pending invitations to the caller's verified email")},
)
def list_invitations(
    caller: CurrentCaller,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    nextToken: Annotated[str | None, Query()] = None,
) -> Response[InvitationList]:
    """List the invitations waiting for the caller.

    Only invitations to the caller's own verified email are listed; expired ones are not.
    """
    found, token = invitations.my_invitations(caller, limit=limit, next_token=nextToken)
    return list_response(app, "invitations", found, token)


_NOT_THE_INVITEE = fails("`not_found`: no such pending invitation to the caller's verified email")


@app.post(
    "/v1/invitations/<invitationId>/accept",
    responses={
        200: returns("The workspace the caller has joined", etag=True),
        404: _NOT_THE_INVITEE,
        409: fails("`conflict`: the caller is a member already, or belongs to 50 workspaces"),
    },
)
def accept_invitation(caller: CurrentCaller, invitationId: str) -> Response[WorkspaceEnvelope]:
    """Accept an invitation and join its workspace.

    Only the invitee (by verified email) may; only now is the caller a member.
    """
    return entity_response(200, "workspace", invitations.accept_invitation(caller, invitationId))


@app.post(
    "/v1/invitations/<invitationId>/decline",
    responses={204: returns_nothing("Declined"), 404: _NOT_THE_INVITEE},
)
def decline_invitation(caller: CurrentCaller, invitationId: str) -> None:
    """Decline an invitation.

    Only the invitee may; the invitation is gone for the workspace's owners and admins too.
    """
    invitations.decline_invitation(caller, invitationId)
    return no_content()


@app.get(
    "/v1/workspaces/<workspaceId>/timers",
    responses={200: returns("The running timers on the workspace's tasks"), 404: _NOT_A_MEMBER},
)
def workspace_timers(caller: CurrentCaller, workspaceId: str) -> Response[WorkspaceTimers]:
    """A workspace's running timers.

    Every member's running timer on the workspace's tasks: who, since when, on which task of
    which project (a member's timer in another workspace is not shown).
    """
    return json_response(200, {"timers": team_timers.workspace_timers(caller, workspaceId)})


@app.post(
    "/v1/workspaces/<workspaceId>/timers/<timerId>/stop",
    responses={
        200: returns("The member's session, stopped", etag=True),
        403: fails("`forbidden`: only owners, admins and managers stop another member's timer"),
        404: fails("`not_found`: no such workspace for the caller, or no such running timer"),
    },
)
def stop_workspace_timer(
    caller: CurrentCaller,
    workspaceId: str,
    timerId: str,
    body: Annotated[TimerStop | None, Body()] = None,
) -> Response[SessionEnvelope]:
    """Stop a member's timer.

    Owners, admins and managers (a member: their own).
    """
    note = body.note if body else None
    result = team_timers.stop_workspace_timer(caller, workspaceId, timerId, note)
    return entity_response(200, "session", result)


@app.post(
    "/v1/workspaces/<workspaceId>/approvals",
    responses={
        201: returns(
            "The approval, submitted: the period is locked for the caller (`Location`: its URL)",
            etag=True,
        ),
        404: _NOT_A_MEMBER,
        409: fails(
            "`approval_overlaps`: the period overlaps one of the caller's submitted or approved"
            " ones; `conflict`" + _PERSONAL
        ),
    },
)
def submit_approval(
    caller: CurrentCaller, workspaceId: str, body: Annotated[ApprovalBody, Body()]
) -> Response[ApprovalEnvelope]:
    """Submit a period of the caller's own time for approval.

    Any member, for their own time: the sessions starting in the period (UTC days, `from` to
    `to` inclusive) are locked for them, as `lockedBefore` locks a workspace's, until the
    approval is rejected. `totals` is their time in the period, as a report's totals.
    """
    result = approvals.submit(caller, workspaceId, body)
    return created(app, "approval", result, "/v1/approvals")


@app.get(
    "/v1/approvals/<approvalId>",
    responses={
        200: returns("The approval", etag=True),
        404: fails("`not_found`: no such approval of the caller's (or theirs to see)"),
    },
)
def get_approval(caller: CurrentCaller, approvalId: str) -> Response[ApprovalEnvelope]:
    """Get an approval.

    A member's own, or any of the workspace's for its owners, admins and managers (the URL a
    submission's `Location` gives).
    """
    return entity_response(200, "approval", approvals.get(caller, approvalId))


@app.get(
    "/v1/workspaces/<workspaceId>/approvals",
    responses={
        200: returns("The approvals"),
        403: fails("`forbidden`: a member asked for another member's approvals"),
        404: _NOT_A_MEMBER,
    },
)
def list_approvals(
    caller: CurrentCaller,
    workspaceId: str,
    status: Annotated[ApprovalStatus | None, Query()] = None,
    userId: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    nextToken: Annotated[str | None, Query()] = None,
) -> Response[ApprovalList]:
    """List a workspace's approvals.

    Owners, admins and managers see every member's (`userId` narrows them), a member their
    own; `status` narrows them too. The personal workspace has none.
    """
    found, token = approvals.list_approvals(
        caller, workspaceId, status=status, user_id=userId, limit=limit, next_token=nextToken
    )
    return list_response(app, "approvals", found, token)


_DECIDE = {
    200: returns("The approval as decided", etag=True),
    403: fails("`forbidden`: a member, or the caller's own approval"),
    404: fails("`not_found`: no such approval in a workspace of the caller's"),
    409: fails("`conflict`: the approval is approved or rejected already"),
}


@app.post("/v1/approvals/<approvalId>/approve", responses=_DECIDE)
def approve(
    caller: CurrentCaller,
    approvalId: str,
    body: Annotated[ApprovalDecision | None, Body()] = None,
) -> Response[ApprovalEnvelope]:
    """Approve a submitted period.

    Owners, admins and managers, not of their own time. The period stays locked.
    """
    result = approvals.decide(caller, approvalId, "approved", body.note if body else None)
    return entity_response(200, "approval", result)


@app.post("/v1/approvals/<approvalId>/reject", responses=_DECIDE)
def reject(
    caller: CurrentCaller,
    approvalId: str,
    body: Annotated[ApprovalDecision | None, Body()] = None,
) -> Response[ApprovalEnvelope]:
    """Reject a submitted period.

    Owners, admins and managers, not of their own time. The period is open again: the member
    changes their time and submits it anew.
    """
    result = approvals.decide(caller, approvalId, "rejected", body.note if body else None)
    return entity_response(200, "approval", result)


lambda_handler = handler(app)
