"""Priming for Lambda SnapStart: the first request's one-time work, done before the snapshot.

With SnapStart (the template's `SnapStart` parameter), Lambda initialises a function when it
publishes a version, snapshots the process and starts later execution environments from that
snapshot. Whatever the initialisation leaves for the first request, every restored environment
still does on its first request. `prime(app)` does it before the snapshot:

- the route's request validators: Powertools builds each route's parameters and body fields
  (pydantic TypeAdapters) on the route's first request, and Stint's models are
  `defer_build` (stint.models), so their validators and serializers are built then too;
- the AWS clients (stint.aws) and the operation models of their calls: botocore loads a
  service's model when its client is made, and each operation's on first use;
- the Tracer, where tracing is on (stint.tracing), with its import of the X-Ray SDK.

`register(app)` hands `prime` to `snapshot_restore_py` (Lambda's Python runtimes ship it); where
that module is missing (no SnapStart: the local stack, tests) nothing is registered and nothing
changes. No AWS call is made: a connection opened before the snapshot would be stale after it.
`make bench` measures what priming moves out of the first request (bench/coldstart.py).
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel

log = logging.getLogger(__name__)

CLIENTS = ("dynamodb", "cognito-idp")  # what the API functions call (stint.store, users)


def register(app: Any) -> bool:
    """Run `prime(app)` before Lambda's snapshot, if this runtime takes snapshots."""
    try:
        from snapshot_restore_py import register_before_snapshot
    except ImportError:  # not Lambda's Python runtime
        return False
    register_before_snapshot(prime, app)
    return True


def prime(app: Any) -> None:
    """Build what the first request would build (see the module's docstring)."""
    for route in [*app._static_routes, *app._dynamic_routes]:
        _ = route.dependant, route.body_field
    for model in _subclasses(BaseModel):
        if model.__module__.startswith("stint.") and _deferred(model):
            model.model_rebuild(force=True)
    from stint import aws, tracing

    for service in CLIENTS:
        model = aws.client(service).meta.service_model
        for operation in model.operation_names:
            model.operation_model(operation)
    tracing.tracer()
    log.info("primed: %d routes", len(app._static_routes) + len(app._dynamic_routes))


def _deferred(model: type[BaseModel]) -> bool:
    """Whether the model's validator is still pydantic's placeholder (`defer_build`)."""
    return type(model.__pydantic_validator__).__name__ == "MockValSer"


def _subclasses(root: type) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    todo: list[type[BaseModel]] = list(root.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found
