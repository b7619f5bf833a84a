"""`stint.timeutil.set_clock`: the time the layer reads, as a benchmark sets it
(bench.common.RequestClock) so that its figures do not depend on how long its requests take."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from stint import timeutil
from stint.store import Store, usage_sk

from .handlers import call, pool_user

MOMENT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    """The layer's clock set to what the list holds (the test moves it)."""
    now = [MOMENT]
    timeutil.set_clock(lambda: now[0])
    try:
        yield now
    finally:
        timeutil.set_clock(None)


def test_a_timer_runs_as_long_as_the_clock_moved_and_its_stop_counts_that(
    pool: str, clock: list[datetime]
) -> None:
    user, email = pool_user(pool)

    def post(group: str, path: str, body: dict[str, object]) -> dict[str, object]:
        answer = call(group, "POST", path, user, username=email, body=body)
        assert answer.status in (200, 201), answer.body
        return dict(answer.body)

    project = post("catalog", "/v1/projects", {"project": {"title": "P"}})["project"]
    task = post("tasks", "/v1/tasks", {"task": {"title": "T", "projectId": project["id"]}})
    started = post("timer", "/v1/timer", {"taskId": task["task"]["id"]})["timer"]
    assert started["session"]["startTimestamp"] == "2026-12-07T09:00:00.000Z"

    clock[0] = MOMENT + timedelta(seconds=90)
    session = post("timer", "/v1/timer/stop", {})["session"]
    assert (session["duration"], session["endTimestamp"]) == (90, "2026-12-07T09:01:30.000Z")
    # The stop counts the 90 seconds in the project's usage of the clock's month.
    usage = Store(user).read(usage_sk(project["id"], "2026-12"))
    assert usage is not None and int(usage["seconds"]) == 90


def test_no_clock_is_the_systems() -> None:
    timeutil.set_clock(lambda: MOMENT)
    timeutil.set_clock(None)
    before = datetime.now(UTC)
    assert before <= timeutil.utc_now() <= datetime.now(UTC)
