"""Who sees money (services/money_view.py): an answer is parsed only when it may name a shared
workspace, and every object of a workspace where the caller is blind to money loses its money
fields at any depth."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from stint.services.common import Caller
from stint.services.money_view import MONEY_FIELDS, _hide, names_shared, without_money

ME = Caller("me", "me")


@given(note=st.text())
def test_a_workspace_id_inside_a_string_is_not_a_member(note: str) -> None:
    """However a text is written, only a real `workspaceId` member counts."""
    text = json.dumps({"session": {"workspaceId": "me", "note": f'"workspaceId": "x" {note}'}})
    assert not names_shared(ME, text)
    assert names_shared(ME, json.dumps({"items": [{"workspaceId": "shared", "note": note}]}))


def test_blind_objects_lose_money_at_any_depth_and_others_keep_it() -> None:
    money = dict.fromkeys(MONEY_FIELDS, 1)
    answer = {
        "projects": [
            {"workspaceId": "blind", "members": [{"userId": "u", **money}], **money},
            {"workspaceId": "seen", **money},
        ]
    }
    shown = _hide(answer, {"blind"})
    assert shown["projects"][0] == {"workspaceId": "blind", "members": [{"userId": "u"}]}
    assert shown["projects"][1] == answer["projects"][1]
    assert without_money({"totals": money, "x": [money]}) == {"totals": {}, "x": [{}]}
