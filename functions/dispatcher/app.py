"""Dispatcher function: the table's stream -> webhook delivery messages (docs/DESIGN.md,
"Webhooks")."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from stint.dispatch import Dispatcher

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return Dispatcher().handle(event.get("Records") or [])
