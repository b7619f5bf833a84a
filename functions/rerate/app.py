"""Rerate function (docs/DESIGN.md, "Money"): the table's stream -> re-rating jobs on the
re-rating queue; a job from the queue -> one page of sessions priced again, and the next page's
job back on the queue."""

import dataclasses
import time
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from stint import aws, dispatch, rerating
from stint.config import settings

logger = Logger()
# Powertools' batch processors: each record on its own, a failed one retried alone (partial
# batch responses), where a hand-written loop would redo what succeeded.
_STREAM = BatchProcessor(event_type=EventType.DynamoDBStreams)
_QUEUE = BatchProcessor(event_type=EventType.SQS)


SEND_ATTEMPTS = 4


def _enqueue(jobs: list[rerating.Job]) -> None:
    """Queue the jobs (a sweep after its delay). A send that fails is tried again here a few
    times before the record fails (and comes back only after the queue's visibility timeout,
    minutes later)."""
    queue_url = settings().rerate_queue_url
    for job in jobs:
        message: dict[str, Any] = {"QueueUrl": queue_url, "MessageBody": job.to_message()}
        if job.sweep and job.cursor is None:
            message["DelaySeconds"] = rerating.SWEEP_DELAY_S
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                aws.client("sqs").send_message(**message)
                break
            except Exception as error:
                if attempt == SEND_ATTEMPTS or not dispatch.is_transient(error):
                    raise
                logger.warning(
                    "re-rating job not queued, trying again", extra={"error": repr(error)}
                )
                time.sleep(0.1 * 2**attempt)


def _changed(record: DynamoDBRecord) -> None:
    jobs = rerating.jobs_of(record.raw_event)
    if jobs:
        logger.info("rate change: re-rating", extra={"jobs": [j.to_message() for j in jobs]})
    _enqueue(jobs)


# A job whose run failed is queued again at once this many times (its page is exactly once in
# effect however often it runs), before the queue's visibility timeout and redrive take over.
RUN_AGAIN = 5


def _job(record: SQSRecord) -> None:
    job = rerating.Job.from_message(record.body)
    try:
        written, following = rerating.rerate_page(job)
    except Exception:
        if job.failures >= RUN_AGAIN:
            raise
        # Not the queue's six minutes of visibility for a chain of pages: the job again now.
        logger.exception("re-rating page failed, queued again", extra={"job": record.body})
        _enqueue([dataclasses.replace(job, failures=job.failures + 1)])
        return
    logger.info("re-rated a page", extra={"job": record.body, "written": written})
    _enqueue([following] if following else [])


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = event.get("Records") or []
    if records and records[0].get("eventSource") == "aws:sqs":
        return process_partial_response(event, _job, _QUEUE, context)
    return process_partial_response(event, _changed, _STREAM, context)
