"""The local `SQS` event source mapping (local/event_sources.py runs it).

Up to `BatchSize` visible messages per invocation, several invocations at once (up to
`ScalingConfig.MaximumConcurrency`, else 5, the concurrency Lambda starts with), so a slow
batch does not hold back the messages behind it. With `ReportBatchItemFailures` the messages
the function reports stay on the queue (a malformed report keeps them all) and the others are
deleted; on a function error none are (they come back after their visibility timeout, and SQS
itself moves them to the dead-letter queue after `maxReceiveCount`).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from local.mapping import EventSourcePoller, queue_url

log = logging.getLogger("stint.local")

SQS_CONCURRENCY = 5  # Lambda's SQS pollers start with 5 concurrent batches


class QueuePoller(EventSourcePoller):
    """An SQS event source mapping: batches invoked concurrently, up to a limit."""

    def configure(self, properties: dict[str, Any]) -> None:
        self.arn = str(properties["Queue"])
        self.batch_size = min(int(properties.get("BatchSize", 10)), 10)
        scaling = properties.get("ScalingConfig") or {}
        self.concurrency = int(scaling.get("MaximumConcurrency", SQS_CONCURRENCY))
        self.reports_failures = "ReportBatchItemFailures" in (
            properties.get("FunctionResponseTypes") or []
        )
        self._slots = threading.BoundedSemaphore(self.concurrency)
        self._url: str | None = None

    def poll(self) -> bool:
        """Receive a batch and invoke the function on it in a thread of its own; True when
        there was one and another invocation may start (poll again at once)."""
        if not self._slots.acquire(blocking=False):
            return False  # every invocation is busy
        try:
            messages = self._receive()
        except Exception:
            self._slots.release()
            raise
        if not messages:
            self._slots.release()
            return False
        name = f"{self.function.logical_id}.invoke"
        threading.Thread(target=self._invoke, args=(messages,), name=name, daemon=True).start()
        return True

    def _receive(self) -> list[dict[str, Any]]:
        self._url = self._url or queue_url(self.emulator, self.arn)
        messages: list[dict[str, Any]] = (
            self.emulator.client("sqs")
            .receive_message(
                QueueUrl=self._url,
                MaxNumberOfMessages=self.batch_size,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            )
            .get("Messages", [])
        )
        return messages

    def _invoke(self, messages: list[dict[str, Any]]) -> None:
        try:
            event = lambda_sqs_event(messages, arn=self.arn, region=self.emulator.region)
            try:
                response = self.runtime.invoke(self.function, event)
            except Exception:
                log.exception("%s failed on an SQS batch", self.function.logical_id)
                return
            self._delete(self._done(messages, response))
        except Exception:  # the thread must not die silently
            log.exception("%s: an SQS batch's invocation failed", self.function.logical_id)
        finally:
            self._slots.release()

    def _done(self, messages: list[dict[str, Any]], response: Any) -> list[dict[str, Any]]:
        """The messages that succeeded, by the function's partial batch response."""
        if not self.reports_failures or not isinstance(response, dict):
            return messages
        ids = {message["MessageId"] for message in messages}
        failed = set()
        for failure in response.get("batchItemFailures") or []:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if not identifier or identifier not in ids:
                log.error("%s: malformed batchItemFailures %r", self.function.logical_id, failure)
                return []  # AWS takes a malformed report as the whole batch failing
            failed.add(identifier)
        return [message for message in messages if message["MessageId"] not in failed]

    def _delete(self, messages: list[dict[str, Any]]) -> None:
        if messages:
            self.emulator.client("sqs").delete_message_batch(
                QueueUrl=self._url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                    for n, m in enumerate(messages)
                ],
            )


def lambda_sqs_event(messages: list[dict[str, Any]], *, arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS mapping invokes a function with, for messages ReceiveMessage
    answered from the queue `arn` names."""
    return {"Records": [_lambda_record(message, arn, region) for message in messages]}


def _lambda_record(message: dict[str, Any], arn: str, region: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": region,
    }
