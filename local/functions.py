"""The template's functions, run in this process as Lambda would run them.

Every `AWS::Serverless::Function` (Globals merged) becomes a `Function`: its handler file
`<CodeUri>/<module>.py` is imported by path under a module name of its own (every
function's file is `app.py`), with its layers' `<ContentUri>/python` on `sys.path`.

All functions share one process, so they share `os.environ`: the process gets every
variable whose value is the same in all functions that set it (TABLE_NAME, LOG_LEVEL, ...).
A variable whose value differs between functions (POWERTOOLS_SERVICE_NAME) is set only
while that function's module is imported, so objects made at import time (Powertools'
`Logger()`, `Metrics()`) see their own function's value; it is not set during invocations
(calls run concurrently, so a per-call value would leak between them).

Like Lambda, an execution environment (here: one import of the handler module) serves one
request at a time; concurrent requests to a function get further environments, each a fresh
import under its own module name (`stint_local_<LogicalId>_<n>`). Handlers may keep
per-request state in module globals, so sharing one module between concurrent calls would mix
requests. Powertools' resolver keeps the request on its class (`BaseRouter.current_event`,
one request per process in Lambda), which every environment of this process shares: the
runtime pins it on each resolver instance as well (`pin_requests_on_resolvers`), so the
handlers need not know that environments here are threads.

Code changed on disk is served from the next request on, as a new deployment would be: every
request compares the function's files (its `CodeUri` directory and its layers' packages:
names, mtimes, sizes) with those its environments were imported from. When they differ, the
idle environments are dropped and the request gets a new one; environments serving a request
finish on the old code and are dropped when they are done. When a layer's file changed, its
modules (the `stint` package, which all functions share through `sys.modules`) are removed
from `sys.modules` first, so the new environment imports them anew.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from local import iam
from local.resources import Provisioner
from local.template import ref_target, string

log = logging.getLogger("stint.local")

Handler = Callable[[Any, Any], Any]
# Context managers entered around every handler call, given the function (local.faults).
InvocationWrapper = Callable[["Function"], contextlib.AbstractContextManager[None]]


class FunctionError(Exception):
    """The function could not be run (its module failed to import)."""


@dataclass
class Function:
    """One template function: where its code is, how it is configured, its handler."""

    logical_id: str
    name: str
    arn: str
    handler_file: Path
    handler_name: str
    memory_mb: int
    timeout_s: float
    environment: dict[str, str]
    events: dict[str, dict[str, Any]]
    layer_paths: list[Path]
    handler: Handler | None = field(default=None, repr=False)  # the first environment's
    module: ModuleType | None = field(default=None, repr=False)  # the first environment's
    import_error: str | None = None
    own_environment: dict[str, str] = field(default_factory=dict)
    policy: iam.Policy | None = None  # what its calls are checked against (local.iam)
    _idle: list[Handler] = field(default_factory=list, repr=False)
    _environments: int = 0
    _pool_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _code: CodeVersion | None = field(default=None, repr=False)  # what the pool was imported from
    _current: set[int] = field(default_factory=set, repr=False)  # ids of handlers of that code

    def take_environment(self) -> Handler:
        """An idle execution environment's handler, or a new environment's (a cold start).
        A new one if the function's code changed on disk since its environments were made."""
        code = CodeVersion.of(self)
        with self._pool_lock:
            if code != self._code:
                self._code = code
                self._idle.clear()
                self._current.clear()
            elif self._idle:
                return self._idle.pop()
            self._environments += 1
            number = self._environments
        with _environment(self.own_environment):
            handler = _load_handler(self, f"stint_local_{self.logical_id}_{number}", code)
        self._adopt(handler, code)
        return handler

    def _adopt(self, handler: Handler, code: CodeVersion) -> None:
        with self._pool_lock:
            if code == self._code:
                self._current.add(id(handler))

    def release_environment(self, handler: Handler) -> None:
        """Back to the pool; an environment of code that changed meanwhile is dropped."""
        with self._pool_lock:
            if id(handler) in self._current:
                self._idle.append(handler)

    @property
    def code_dir(self) -> Path:
        return self.handler_file.parent


@dataclass(frozen=True)
class CodeVersion:
    """The Python files a function's code is made of: (path, mtime, size) of each."""

    handler: tuple[tuple[str, int, int], ...]
    layers: tuple[tuple[str, tuple[tuple[str, int, int], ...]], ...]

    @classmethod
    def of(cls, function: Function) -> CodeVersion:
        return cls(
            _python_files(function.code_dir),
            tuple((str(path), _python_files(path)) for path in function.layer_paths),
        )


def _python_files(directory: Path) -> tuple[tuple[str, int, int], ...]:
    found = []
    for root, directories, files in os.walk(directory):
        directories[:] = sorted(d for d in directories if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(root, name)
                with contextlib.suppress(FileNotFoundError):  # deleted while walking
                    status = os.stat(path)
                    found.append((path, status.st_mtime_ns, status.st_size))
    return tuple(found)


def load_functions(stack: Provisioner) -> list[Function]:
    """Every serverless function in the template, its properties resolved."""
    template = stack.template
    functions = []
    for logical_id, resource in template.resources_of_type("AWS::Serverless::Function").items():
        if not stack.resolver.included(resource):
            continue
        raw = template.properties(logical_id)
        props = stack.resolve({key: value for key, value in raw.items() if key != "Events"})
        code_uri = props.get("CodeUri")
        if not isinstance(code_uri, str):
            raise FunctionError(f"{logical_id}: CodeUri must be a local path, not {code_uri!r}")
        module, _, handler_name = str(props.get("Handler", "app.lambda_handler")).rpartition(".")
        variables = (props.get("Environment") or {}).get("Variables") or {}
        functions.append(
            Function(
                logical_id=logical_id,
                name=str(stack.ref(logical_id)),
                arn=str(stack.get_att(logical_id, "Arn")),
                handler_file=template.directory / code_uri / (module.replace(".", "/") + ".py"),
                handler_name=handler_name,
                memory_mb=int(props.get("MemorySize", 128)),
                timeout_s=float(props.get("Timeout", 3)),
                environment={key: string(value) for key, value in variables.items()},
                events=dict(raw.get("Events") or {}),
                layer_paths=_layer_paths(stack, raw.get("Layers") or [], logical_id),
            )
        )
    return functions


def _layer_paths(stack: Provisioner, layers: list[Any], where: str) -> list[Path]:
    """`<ContentUri>/python` of each layer in this template (that is where Lambda puts it)."""
    paths = []
    for layer in layers:
        logical_id = ref_target(layer)
        resource = stack.template.resources.get(logical_id or "", {})
        if resource.get("Type") != "AWS::Serverless::LayerVersion":
            log.warning("%s: layer %r is not in the template; not on sys.path", where, layer)
            continue
        content_uri = stack.resolve(stack.template.properties(str(logical_id)).get("ContentUri"))
        paths.append(stack.template.directory / str(content_uri) / "python")
    return paths


# ----------------------------------------------------------------------------- runtime


class LambdaContext:
    """The context object the Python runtime passes to a handler."""

    def __init__(self, function: Function, request_id: str) -> None:
        self.function_name = function.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function.arn
        self.memory_limit_in_mb = str(function.memory_mb)  # a string in the real runtime too
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{function.name}"
        self.log_stream_name = f"local/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + function.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class Runtime:
    """Loads the functions' code into this process and invokes handlers."""

    def __init__(self, functions: list[Function]) -> None:
        self.functions = functions
        self._by_arn = {function.arn: function for function in functions}
        self.wrappers: list[InvocationWrapper] = []

    def start(self, base_environment: dict[str, str]) -> None:
        """Set the shared environment, put the layers on sys.path, import every handler."""
        pin_requests_on_resolvers()
        shared, own = split_environment(self.functions)
        os.environ.update({**shared, **base_environment})
        time.tzset()  # in case the environment sets TZ
        for function in self.functions:
            for path in function.layer_paths:
                if str(path) not in sys.path:
                    sys.path.insert(0, str(path))
        for function in self.functions:
            function.own_environment = own[function.logical_id]
            with _environment(function.own_environment):
                _import_handler(function)

    def by_arn(self, arn: str) -> Function | None:
        return self._by_arn.get(arn)

    def invoke(self, function: Function, event: Any, request_id: str | None = None) -> Any:
        """Call the handler as Lambda would; exceptions propagate (Lambda's "errorMessage")."""
        context = LambdaContext(function, request_id or str(uuid.uuid4()))
        try:
            handler = function.take_environment()
        except Exception as error:
            trace = traceback.format_exc(limit=-3)
            raise FunctionError(f"{function.logical_id} failed to import: {trace}") from error
        started = time.monotonic()
        checked = iam.current.set(function.policy)
        try:
            with contextlib.ExitStack() as wrapped:
                for wrapper in self.wrappers:
                    wrapped.enter_context(wrapper(function))
                return handler(event, context)
        finally:
            iam.current.reset(checked)
            function.release_environment(handler)
            elapsed = time.monotonic() - started
            if elapsed > function.timeout_s:  # not enforced: the emulator's lock is not Lambda
                log.warning(
                    "%s ran %.1f s, over its Timeout of %.0f s (Lambda would have stopped it)",
                    function.logical_id,
                    elapsed,
                    function.timeout_s,
                )


def pin_requests_on_resolvers() -> None:
    """Powertools' REST resolvers keep their request on the instance too, which shadows the
    class's: concurrent environments (threads here, processes in Lambda) each see their own
    (idempotent)."""
    from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver

    original = ApiGatewayResolver.resolve
    if getattr(original, _PINNED, False):
        return

    def resolve(resolver: Any, event: Any, context: Any) -> Any:
        resolver.current_event = resolver._to_proxy_event(dict(event))
        resolver.lambda_context = context
        return original(resolver, event, context)

    setattr(resolve, _PINNED, True)
    setattr(ApiGatewayResolver, "resolve", resolve)  # noqa: B010


_PINNED = "_stint_local_pinned"


def split_environment(
    functions: list[Function],
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(variables equal in every function that sets them, {function: its differing ones})."""
    values: dict[str, set[str]] = {}
    for function in functions:
        for key, value in function.environment.items():
            values.setdefault(key, set()).add(value)
    shared = {key: next(iter(found)) for key, found in values.items() if len(found) == 1}
    own = {
        function.logical_id: {
            key: value for key, value in function.environment.items() if key not in shared
        }
        for function in functions
    }
    return shared, own


@contextlib.contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _import_handler(function: Function) -> None:
    """Import the first execution environment; an import error is kept for the routes."""
    module_name = f"stint_local_{function.logical_id}"
    code = CodeVersion.of(function)
    function._code = code
    try:
        function.handler = _load_handler(function, module_name, code)
        function.module = sys.modules[module_name]
        function._adopt(function.handler, code)
        function.release_environment(function.handler)  # the pool's first idle environment
        function._environments = 1
    except Exception:
        function.import_error = traceback.format_exc(limit=-3)
        log.error("%s: cannot import its handler:\n%s", function.logical_id, function.import_error)


_import_lock = threading.Lock()  # sys.path and sys.modules are edited while importing
# Each layer directory's files as its modules in sys.modules were imported from.
_layer_versions: dict[str, tuple[tuple[str, int, int], ...]] = {}


def _forget_changed_layers(code: CodeVersion) -> None:
    """Remove from sys.modules the modules of each layer whose files changed (under the
    import lock): the next import of `stint` reads the new files. Modules already imported
    keep their objects, so environments in use go on with the old code."""
    for directory, files in code.layers:
        known = _layer_versions.setdefault(directory, files)
        if known == files:
            continue
        prefix = os.path.join(directory, "")
        stale = [
            name
            for name, module in list(sys.modules.items())
            if str(getattr(module, "__file__", None) or "").startswith(prefix)
        ]
        for name in stale:
            del sys.modules[name]
        importlib.invalidate_caches()
        _layer_versions[directory] = files
        log.info("%s changed: %d modules will be imported anew", directory, len(stale))


def _load_handler(function: Function, module_name: str, code: CodeVersion) -> Handler:
    """Import the handler file as `module_name`, its directory first on sys.path."""
    with _import_lock:
        _forget_changed_layers(code)
        spec = importlib.util.spec_from_file_location(module_name, function.handler_file)
        if spec is None or spec.loader is None:
            raise FunctionError(f"cannot import {function.handler_file}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        sys.path.insert(0, str(function.code_dir))  # Lambda's task root: the handler's siblings
        try:
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(function.code_dir))
        handler: Handler = getattr(module, function.handler_name)
        return handler
