"""Teams function: teams, invitations, members and their running timers (docs/DESIGN.md,
"Tasks, timers and teams")."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from stint.api import (
    CurrentCaller,
    IfMatch,
    create_app,
    created,
    entity_response,
    handler,
    json_response,
    list_response,
    no_content,
)
from stint.models import (
    InvitationEnvelope,
    InvitationList,
    MemberBody,
    SessionEnvelope,
    TeamBody,
    TeamEnvelope,
    TeamList,
    TeamTimers,
    TimerStop,
    fails,
    returns,
    returns_nothing,
)
from stint.services import teams

app = create_app()

_NOT_A_MEMBER = fails("`not_found`: no such team, or the caller is not a member")


@app.post("/v1/teams", responses={201: returns("The team; the caller is its admin", etag=True)})
def create_team(caller: CurrentCaller, body: Annotated[TeamBody, Body()]) -> Response[TeamEnvelope]:
    """Create a team.

    The caller becomes its admin. The answer's `Location` is the team's URL.
    """
    return created(app, "team", teams.create_team(caller, body.team), "/v1/teams")


@app.get("/v1/teams", responses={200: returns("The teams the caller belongs to")})
def list_teams(
    caller: CurrentCaller,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    nextToken: Annotated[str | None, Query()] = None,
) -> Response[TeamList]:
    """List the caller's teams.

    The teams the caller is a member of, with their members. Pages of `limit`; follow
    `nextToken` (or `Link: rel="next"`).
    """
    found, token = teams.list_teams(caller, limit=limit, next_token=nextToken)
    return list_response(app, "teams", found, token)


@app.get(
    "/v1/teams/<teamId>",
    responses={200: returns("The team", etag=True), 404: _NOT_A_MEMBER},
)
def get_team(caller: CurrentCaller, teamId: str) -> Response[TeamEnvelope]:
    """Get a team.

    Members only; anyone else gets a 404.
    """
    return entity_response(200, "team", teams.get_team(caller, teamId))


@app.post(
    "/v1/teams/<teamId>/members",
    responses={
        201: returns(
            "The invitation, made whether or not anyone has that email; its ETag is the"
            " team's new one",
            etag=True,
        ),
        403: fails("`forbidden`: the caller is not an admin of the team"),
        404: _NOT_A_MEMBER,
        409: fails(
            "`conflict`: that email is a member or invited already, or the team has 100"
            " members and pending invitations"
        ),
    },
)
def invite_member(
    caller: CurrentCaller, teamId: str, body: Annotated[MemberBody, Body()]
) -> Response[InvitationEnvelope]:
    """Invite someone to a team by email.

    Admins only. The answer is the same whether or not anyone has that email; the invitee joins
    only by accepting (`POST /v1/invitations/{invitationId}/accept`). `Location` is the
    invitation's URL (revoke it with `DELETE`).
    """
    result = teams.invite(caller, teamId, body)
    return created(app, "invitation", result, f"/v1/teams/{teamId}/invitations")


@app.delete(
    "/v1/teams/<teamId>/invitations/<invitationId>",
    responses={
        204: returns_nothing("Revoked"),
        403: fails("`forbidden`: the caller is not an admin of the team"),
        404: fails("`not_found`: no such team for the caller, or no such pending invitation"),
        412: fails("`precondition_failed`: If-Match does not match the team's ETag"),
    },
)
def revoke_invitation(
    caller: CurrentCaller, teamId: str, invitationId: str, if_match: IfMatch = None
) -> None:
    """Revoke a pending invitation.

    Admins only. Honours `If-Match` against the team's ETag.
    """
    teams.revoke_invitation(caller, teamId, invitationId, if_match)
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
    found, token = teams.my_invitations(caller, limit=limit, next_token=nextToken)
    return list_response(app, "invitations", found, token)


_NOT_THE_INVITEE = fails("`not_found`: no such pending invitation to the caller's verified email")


@app.post(
    "/v1/invitations/<invitationId>/accept",
    responses={
        200: returns("The team the caller has joined", etag=True),
        404: _NOT_THE_INVITEE,
        409: fails("`conflict`: the caller is a member of the team already"),
    },
)
def accept_invitation(caller: CurrentCaller, invitationId: str) -> Response[TeamEnvelope]:
    """Accept an invitation and join its team.

    Only the invitee (by verified email) may; only now does the team see the caller's timer.
    """
    return entity_response(200, "team", teams.accept_invitation(caller, invitationId))


@app.post(
    "/v1/invitations/<invitationId>/decline",
    responses={204: returns_nothing("Declined"), 404: _NOT_THE_INVITEE},
)
def decline_invitation(caller: CurrentCaller, invitationId: str) -> None:
    """Decline an invitation.

    Only the invitee may; the invitation is gone for the team's admins too.
    """
    teams.decline_invitation(caller, invitationId)
    return no_content()


@app.delete(
    "/v1/teams/<teamId>/members/<userId>",
    responses={
        204: returns_nothing("Removed (or left)"),
        403: fails("`forbidden`: only an admin removes another member"),
        404: fails("`not_found`: no such team for the caller, or no such member"),
        409: fails("`conflict`: the team's last admin cannot leave"),
        412: fails("`precondition_failed`: If-Match does not match the team's ETag"),
    },
)
def remove_member(
    caller: CurrentCaller, teamId: str, userId: str, if_match: IfMatch = None
) -> None:
    """Remove a member, or leave.

    Admins remove others; anyone may leave, but the last admin. Honours `If-Match` against the
    team's ETag.
    """
    teams.remove_member(caller, teamId, userId, if_match)
    return no_content()


@app.get(
    "/v1/teams/<teamId>/timers",
    responses={200: returns("Every running timer of the team's members"), 404: _NOT_A_MEMBER},
)
def team_timers(caller: CurrentCaller, teamId: str) -> Response[TeamTimers]:
    """The team's running timers.

    Every running timer of the members: who, since when, on which task of which project.
    """
    return json_response(200, {"timers": teams.team_timers(caller, teamId)})


@app.post(
    "/v1/teams/<teamId>/timers/<timerId>/stop",
    responses={
        200: returns("The member's session, stopped", etag=True),
        403: fails("`forbidden`: only an admin stops another member's timer"),
        404: fails("`not_found`: no such team for the caller, or no such running timer"),
        409: fails("`conflict`: several members run a timer with that (client-chosen) id"),
    },
)
def stop_team_timer(
    caller: CurrentCaller,
    teamId: str,
    timerId: str,
    body: Annotated[TimerStop | None, Body()] = None,
) -> Response[SessionEnvelope]:
    """Stop a member's timer.

    Admins only (or the member itself).
    """
    note = body.note if body else None
    result = teams.stop_team_timer(caller, teamId, timerId, note)
    return entity_response(200, "session", result)


lambda_handler = handler(app)
