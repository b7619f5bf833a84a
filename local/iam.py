"""IAM, enforced locally: a function may call only what its template policy grants.

Every AWS call a function makes while the runtime invokes it is checked against the
function's `Policies` (inline `Statement`s, resolved like the rest of the template): the
action (`dynamodb:Query`) and every resource the call touches (the table, or
`<table>/index/<name>` for a query on an index; each table of a transaction or batch; the
queue; the user pool) must be allowed by one statement. A call that is not is refused with
AWS's `AccessDeniedException` before it reaches the emulator, and logged, so a function that
needs a permission its policy lacks fails every local test that exercises it, instead of
failing first in AWS. `tests/local/test_iam.py` shows a missing action refused.

Calls outside an invocation (the local stack's own set-up, pollers, tests) are not checked.
Work a function hands to other threads is checked when the work carries the invocation's
context (`contextvars.copy_context()`), as `stint.delivery` does.
"""

from __future__ import annotations

import contextvars
import fnmatch
import logging
from dataclasses import dataclass
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError

from local.resources import Provisioner
from local.template import ACCOUNT_ID, REGION, TemplateError

log = logging.getLogger("stint.local")


@dataclass(frozen=True)
class Statement:
    actions: tuple[str, ...]
    resources: tuple[str, ...]

    def allows(self, action: str, resource: str) -> bool:
        return any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in self.actions) and any(
            fnmatch.fnmatchcase(resource, r) for r in self.resources
        )


@dataclass(frozen=True)
class Policy:
    """The Allow statements of one function."""

    function: str
    statements: tuple[Statement, ...]

    def refusal(self, action: str, resources: list[str]) -> str | None:
        """Why the call is refused (AWS's message), or None when it is allowed."""
        for resource in resources:
            if not any(statement.allows(action, resource) for statement in self.statements):
                return (
                    f"{self.function} is not authorized to perform: {action} on resource:"
                    f" {resource} because no identity-based policy allows the {action} action"
                )
        return None


def policy_of(stack: Provisioner, logical_id: str) -> Policy:
    """The function's inline statements; any other kind of policy is refused here, so that
    nothing is allowed locally that the check cannot read."""
    statements = []
    for policy in stack.resolve(stack.template.properties(logical_id).get("Policies") or []):
        if not isinstance(policy, dict) or set(policy) != {"Statement"}:
            raise TemplateError(f"{logical_id}: local IAM reads only inline Statement policies")
        for statement in policy["Statement"]:
            if statement.get("Effect") != "Allow":
                raise TemplateError(f"{logical_id}: local IAM reads only Allow statements")
            actions, resources = _listed(statement["Action"]), _listed(statement["Resource"])
            statements.append(Statement(tuple(actions), tuple(resources)))
    return Policy(logical_id, tuple(statements))


def _listed(value: Any) -> list[str]:
    return [str(item) for item in (value if isinstance(value, list) else [value])]


# ----------------------------------------------------------------------------- the check

# API operations that IAM authorizes under another action's name.
_IAM_ACTIONS = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}
# The policy of the function being invoked in this context (None: not in an invocation).
current: contextvars.ContextVar[Policy | None] = contextvars.ContextVar(
    "stint_local_policy", default=None
)
_PATCHED = "_stint_local_iam"


def enforce() -> None:
    """Check every botocore call made inside an invocation (idempotent)."""
    original = getattr(BaseClient, "_make_api_call")  # noqa: B009 (private: mypy has no stub)
    if getattr(original, _PATCHED, False):
        return

    def _make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        policy = current.get()
        if policy is not None:
            service = client.meta.service_model.signing_name
            action = _IAM_ACTIONS.get(f"{service}:{operation}", f"{service}:{operation}")
            refusal = policy.refusal(action, resources_of(service, params))
            if refusal is not None:
                log.error("AccessDenied: %s", refusal)
                error = {"Error": {"Code": "AccessDeniedException", "Message": refusal}}
                raise ClientError(error, operation)  # type: ignore[arg-type]
        return original(client, operation, params)

    setattr(_make_api_call, _PATCHED, True)
    setattr(BaseClient, "_make_api_call", _make_api_call)  # noqa: B010


def resources_of(service: str, params: dict[str, Any]) -> list[str]:
    """The ARNs a call touches, as IAM evaluates them."""
    if service == "dynamodb":
        return sorted(set(_dynamodb_resources(params))) or ["*"]
    if service == "sqs" and "QueueUrl" in params:
        return [_arn("sqs", str(params["QueueUrl"]).rstrip("/").rsplit("/", 1)[-1])]
    if service == "cognito-idp" and "UserPoolId" in params:
        return [_arn("cognito-idp", f"userpool/{params['UserPoolId']}")]
    return ["*"]


def _dynamodb_resources(params: dict[str, Any]) -> list[str]:
    found = []
    if "TableName" in params:
        table = _arn("dynamodb", f"table/{params['TableName']}")
        found.append(f"{table}/index/{params['IndexName']}" if "IndexName" in params else table)
    for item in params.get("TransactItems", []):
        for operation in item.values():
            found.append(_arn("dynamodb", f"table/{operation['TableName']}"))
    for table_name in params.get("RequestItems", {}):
        found.append(_arn("dynamodb", f"table/{table_name}"))
    return found


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{resource}"
