"""Which modules of the layer (layers/stint/python/stint) one request passes through, in order.

    .venv/bin/python -m tools.trace_route POST /v1/sessions '{"task": {"title": "Write"},
        "session": {"startTimestamp": "2026-11-22T09:30:00Z", "duration": 1500}}'

The request goes to the route's real handler in this process, over a fresh emulator (moto), as
`python -m local invoke` runs one: the event is the one `python -m local generate-event` builds
for the route (local/generate_event.py), its claims the demo user's (local/invoke.py). The
handler is first called `--warm` times untraced with the same request (default once: the
function warm, a task named by title there already, as a user's second entry finds it), then
once under `sys.setprofile`.

At every moment the request is "in" the innermost module of the layer on the call stack (a call
into a library counts for the module that made it; time outside the layer, in the handler's own
app.py or Powertools between two calls into it, counts for none). A stay is a maximal run in one
module; a return is a stay in a module the request had already left. Printed: each module in
order of first entry with its stays, the stays in order, and the totals (stays, files,
returns). The handler's own output (its logs) goes to standard error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from local.generate_event import route_event, route_table
from local.invoke import Target, result_stream, with_user
from local.layout import DEMO_USERNAME, REPO
from local.template import load_template

log = logging.getLogger("stint.trace")

LAYER = REPO / "layers" / "stint" / "python"


@dataclass
class Stays:
    """The stays of one request: the layer's modules (paths below the layer) in the order the
    request was in them, a module once per maximal run."""

    stays: list[str] = field(default_factory=list)

    def enter(self, module: str | None) -> None:
        if module is not None and (not self.stays or self.stays[-1] != module):
            self.stays.append(module)

    @property
    def modules(self) -> list[str]:
        """Each module once, in order of first entry."""
        return list(dict.fromkeys(self.stays))

    @property
    def returns(self) -> int:
        """Stays in a module the request had been in and left."""
        return len(self.stays) - len(self.modules)

    def report(self) -> str:
        counts = {module: self.stays.count(module) for module in self.modules}
        width = max((len(module) for module in counts), default=0)
        lines = [f"{n:3}. {m:<{width}}  {counts[m]} stay(s)" for n, m in enumerate(counts, 1)]
        lines += [
            "",
            "stays in order: " + " > ".join(self.stays),
            "",
            f"{len(self.stays)} stays in {len(self.modules)} files,"
            f" {self.returns} returns to a file already left",
        ]
        return "\n".join(lines)


class Tracer:
    """Follows the innermost frame of the layer's code through calls and returns."""

    def __init__(self, root: Path, under: tuple[str, ...] = ("",)) -> None:
        self.root = str(root.resolve()) + "/"
        self.under = under
        self.path = Stays()
        self._modules: dict[str, str | None] = {}

    def module(self, frame: FrameType | None) -> str | None:
        """The layer module of the innermost layer frame from `frame` outwards (None: none)."""
        while frame is not None:
            found = self._module_of(frame.f_code.co_filename)
            if found is not None:
                return found
            frame = frame.f_back
        return None

    def _module_of(self, filename: str) -> str | None:
        if filename not in self._modules:
            resolved = str(Path(filename).resolve()) if filename.endswith(".py") else ""
            module = resolved[len(self.root) :] if resolved.startswith(self.root) else None
            kept = module is not None and module.startswith(self.under)
            self._modules[filename] = module if kept else None
        return self._modules[filename]

    def profile(self, frame: FrameType, event: str, _arg: Any) -> None:
        if event == "call":
            self.path.enter(self.module(frame))
        elif event == "return":
            self.path.enter(self.module(frame.f_back))

    def run(self, call: Callable[[], Any]) -> Any:
        sys.setprofile(self.profile)
        try:
            return call()
        finally:
            sys.setprofile(None)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.trace_route",
        description="Print the modules of the layer one request to a route passes through.",
    )
    parser.add_argument("method", help="GET, POST, ...")
    parser.add_argument("path", help="the path, with a query if any: /v1/sessions")
    parser.add_argument("body", nargs="?", default="", help="the request body (JSON, as text)")
    parser.add_argument(
        "--warm", type=int, default=1, help="untraced calls of the same request first (1)"
    )
    parser.add_argument(
        "--under",
        action="append",
        help="follow only the modules below this folder of the layer (services/; repeatable):"
        " a call into any other counts for the followed module that made it",
    )
    return parser.parse_args(argv)


def trace(
    method: str, target: str, body: str, warm: int = 1, under: tuple[str, ...] = ("",)
) -> tuple[int, Stays]:
    """The traced request's status code, and its path through the layer."""
    template_path = REPO / "template.yaml"
    url = urlsplit(target)
    match = route_table(template_path).match(method, url.path)
    if match is None:
        raise SystemExit(f"no route of template.yaml answers {method} {url.path}")
    route, parameters = match
    event = route_event(route, parameters, method, url.path, url.query, body)
    stack = Target.fresh(load_template(template_path))
    try:
        function = stack.function(route.function.logical_id)
        event = with_user(event, stack.user(DEMO_USERNAME), stack.outputs)
        runtime = stack.runtime(function)
        for _ in range(warm):
            runtime.invoke(function, event)
        tracer = Tracer(LAYER / "stint", under)
        answer = tracer.run(lambda: runtime.invoke(function, event))
        return int(answer["statusCode"]), tracer.path
    finally:
        stack.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    output = result_stream()
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    try:
        json.loads(args.body or "null")
    except ValueError as error:
        raise SystemExit(f"the body is not JSON: {error}") from error
    method = args.method.upper()
    under = tuple(args.under or [""])
    status, path = trace(method, args.path, args.body, args.warm, under)
    followed = ", ".join(f"stint/{folder}" for folder in under)
    output.write(
        f"{method} {args.path}: {status}, after {args.warm} untraced call(s); modules of"
        f" {followed}\n\n"
    )
    output.write(path.report() + "\n")
    output.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
