"""What every local event source mapping is (local/event_sources.py runs them): the function it
invokes through the runtime, the emulator it reads, and its properties from the template."""

from __future__ import annotations

from typing import Any

from local.emulator import Emulator
from local.functions import Function, Runtime


class EventSourcePoller:
    """An event source mapping: where it reads (`configure`), which function it invokes."""

    def __init__(
        self, emulator: Emulator, runtime: Runtime, function: Function, properties: dict[str, Any]
    ) -> None:
        self.emulator = emulator
        self.runtime = runtime
        self.function = function
        self.configure(properties)

    def configure(self, properties: dict[str, Any]) -> None:
        raise NotImplementedError


def queue_url(emulator: Emulator, arn: str) -> str:
    """An SQS queue's URL from its ARN (a queue mapping's source, a stream's failure queue)."""
    url: str = emulator.client("sqs").get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"]
    return url
