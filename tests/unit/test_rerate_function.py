"""The Rerate function keeps a job's chain of pages going when a run fails (functions/rerate):
the job is queued again at once, counting its failures, up to RUN_AGAIN; then the run fails
and the queue's visibility timeout and redrive take over. Regression: one failed run left every
later page of the job waiting six minutes for the message to come back."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from local.queues import lambda_sqs_event
from stint import config, rerating
from stint.errors import Conflict

from .conftest import template
from .handlers import app_module


def _module() -> ModuleType:
    return app_module("rerate", "rerate_app_under_test")


class _Context:
    function_name = "rerate"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:rerate"
    aws_request_id = "request"


def _event(job: rerating.Job) -> dict[str, Any]:
    message = {"MessageId": "m1", "ReceiptHandle": "r1", "Body": job.to_message(), "MD5OfBody": ""}
    arn = "arn:aws:sqs:us-east-1:123456789012:rerate"
    return lambda_sqs_event([message], arn=arn, region="us-east-1")


@pytest.mark.parametrize("failures", [0, 4, 5])
def test_a_failed_run_queues_its_job_again_until_it_gives_up(
    failures: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _module()
    queued: list[rerating.Job] = []
    monkeypatch.setattr(app, "_enqueue", queued.extend)

    def failing(job: rerating.Job) -> Any:
        raise Conflict("Too many concurrent writes; retry the request")

    monkeypatch.setattr(app.rerating, "rerate_page", failing)
    job = rerating.Job("ws", False, project_id="p", cursor="c", failures=failures)
    if failures < app.RUN_AGAIN:
        assert app.lambda_handler(_event(job), _Context()) == {"batchItemFailures": []}
        assert [json.loads(j.to_message()) for j in queued] == [
            {**json.loads(job.to_message()), "failures": failures + 1}
        ]
    else:
        # The invocation fails (its one record did): the queue brings the message back.
        with pytest.raises(BatchProcessingError):
            app.lambda_handler(_event(job), _Context())
        assert queued == []


@pytest.mark.parametrize(
    ("job", "delayed"),
    [
        (rerating.Job("ws", False, project_id="p", cursor="c"), False),
        (rerating.Job("ws", False, project_id="p", sweep=True), True),
        (rerating.Job("ws", False, project_id="p", cursor="c", sweep=True), False),
    ],
    ids=["a next page", "the sweep", "the sweep's next page"],
)
def test_the_sweep_is_queued_after_its_delay_and_nothing_else_is(
    job: rerating.Job, delayed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweep's first page waits out the API functions' timeout; every other page goes at
    once (a chain of pages must not wait)."""
    app = _module()
    monkeypatch.setenv("TABLE_NAME", "t")
    monkeypatch.setenv("RERATE_QUEUE_URL", "https://sqs.local/rerate")
    config.settings.cache_clear()
    sent: list[dict[str, Any]] = []

    class _Queue:
        def send_message(self, **message: Any) -> None:
            sent.append(message)

    monkeypatch.setattr(app.aws, "client", lambda service: _Queue())
    app._enqueue([job])
    assert [m.get("DelaySeconds") for m in sent] == [rerating.SWEEP_DELAY_S if delayed else None]
    api_timeout = template().section("Globals")["Function"]["Timeout"]
    assert api_timeout < rerating.SWEEP_DELAY_S  # a write that read the old rates is done
    config.settings.cache_clear()
