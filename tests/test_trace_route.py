"""tools/trace_route.py: the modules of the layer one request passes through. That it runs and
how it counts, not the figures (they move with the code)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from stint.timeutil import parse_timestamp
from tools.trace_route import LAYER, Stays, Tracer

REPO = Path(__file__).resolve().parent.parent


def test_a_stay_is_a_maximal_run_in_one_module_and_a_return_one_in_a_module_left() -> None:
    stays = Stays()
    for module in ["api.py", "api.py", None, "edge.py", None, "api.py", "edge.py", "edge.py"]:
        stays.enter(module)
    assert stays.stays == ["api.py", "edge.py", "api.py", "edge.py"]
    assert stays.modules == ["api.py", "edge.py"]
    assert stays.returns == 2
    assert stays.report().endswith("4 stays in 2 files, 2 returns to a file already left")


def test_a_call_into_a_library_counts_for_the_layer_module_that_made_it() -> None:
    tracer = Tracer(LAYER / "stint")
    moment = tracer.run(lambda: parse_timestamp("2026-11-22T09:30:00Z"))
    assert moment.year == 2026
    assert tracer.path.stays == ["timeutil.py"]  # datetime's calls and this test's are not


def test_it_traces_a_session_named_by_its_task_title() -> None:
    body = {
        "task": {"title": "Write"},
        "session": {"startTimestamp": "2026-11-22T09:30:00Z", "duration": 1500},
    }
    result = subprocess.run(
        [sys.executable, "-m", "tools.trace_route", "POST", "/v1/sessions", json.dumps(body)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("POST /v1/sessions: 201"), result.stdout
    assert "services/sessions.py" in result.stdout
    assert re.search(
        r"^\d+ stays in \d+ files, \d+ returns to a file already left$", result.stdout, re.M
    )
