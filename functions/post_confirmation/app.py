"""Cognito post-confirmation trigger: creates the profile and the default project."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from stint.services.users import create_profile

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    attributes = event["request"]["userAttributes"]
    logger.append_keys(user_id=attributes["sub"])
    create_profile(attributes["sub"], attributes.get("email", ""), attributes.get("name", ""))
    logger.info("profile ready", extra={"trigger": event.get("triggerSource")})
    return event  # Cognito expects the event back
