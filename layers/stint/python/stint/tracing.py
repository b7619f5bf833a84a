"""Tracing: Powertools' Tracer (the X-Ray SDK), a subsegment per AWS call, where it is on.

It is on in Lambda unless `POWERTOOLS_TRACE_DISABLED` says otherwise (Powertools' own rule).
The template turns it on with SnapStart only: setting the X-Ray SDK up (its import, its
recorder, the botocore patch) costs ~100 ms, which SnapStart moves into the snapshot and which
every cold start would pay without it (docs/DESIGN.md, "Deploying"). Off, nothing of it
is imported. Without subsegments, `Tracing: Active` still gives every invocation its segment.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

Handler = TypeVar("Handler", bound=Callable[..., Any])

_tracer: Any = None


def enabled() -> bool:
    """Powertools' rule: in Lambda (LAMBDA_TASK_ROOT), unless POWERTOOLS_TRACE_DISABLED."""
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").lower() in ("1", "true")
    return bool(os.environ.get("LAMBDA_TASK_ROOT")) and not disabled


def tracer() -> Any:
    """The process's Tracer (made once: it patches botocore), or None where tracing is off."""
    global _tracer
    if _tracer is None and enabled():
        from aws_lambda_powertools import Tracer

        _tracer = Tracer()
    return _tracer


def traced(handler: Handler) -> Handler:
    """`handler` in a traced subsegment (responses are not recorded: they hold user data)."""
    found = tracer()
    if found is None:
        return handler
    wrapped: Handler = found.capture_lambda_handler(handler, capture_response=False)
    return wrapped
