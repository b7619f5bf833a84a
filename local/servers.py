"""Threaded werkzeug WSGI servers on 127.0.0.1, each in a background thread."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

HOST = "127.0.0.1"  # local only: nothing here is meant for the network
RAW_HEADERS_KEY = "local.raw_headers"
# How long the front waits for the next bytes of a request it is serving (its body): a client
# that declared more than it sends gets its answer (local.gateway: 400) after this, not never.
READ_TIMEOUT_S = 0.5


class QuietRequestHandler(WSGIRequestHandler):
    """No access log from werkzeug (the gateway writes its own line per request).

    TCP_NODELAY on every connection: werkzeug writes a response's headers and its body in two
    sends, and with Nagle's algorithm the body waits for the client's delayed ACK of the
    headers (about 40 ms on Linux) on every keep-alive request.
    """

    disable_nagle_algorithm = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class RawHeadersRequestHandler(QuietRequestHandler):
    """Keeps the request's header lines as sent (names' case, order, repeats) in the environ.

    WSGI folds header names into `HTTP_X_FOO`; API Gateway passes them on as the client
    wrote them, so the gateway builds its events from this list instead.
    """

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        environ[RAW_HEADERS_KEY] = list(self.headers.items())
        return environ


class FrontRequestHandler(RawHeadersRequestHandler):
    """The front's: while a request is served, a read that waits READ_TIMEOUT_S fails.

    werkzeug turns the timeout into `ClientDisconnected` for the reader of the body, as it
    does for a client that closed early; waiting for the next request is not limited.
    """

    def run_wsgi(self) -> None:
        self.connection.settimeout(READ_TIMEOUT_S)
        try:
            super().run_wsgi()
        finally:
            self.connection.settimeout(None)


def own_url(environ: dict[str, Any]) -> str:
    """The URL of the server that received this request: its scheme and bound address, from
    its own socket, never from a header the client wrote."""
    return f"{environ['wsgi.url_scheme']}://{own_host(environ)}"


def own_host(environ: dict[str, Any]) -> str:
    return f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"


class Server:
    """A threaded WSGI server; port 0 picks a free port (see `port` once started)."""

    def __init__(
        self, app: Any, port: int, handler: type[WSGIRequestHandler] = QuietRequestHandler
    ) -> None:
        self._server: BaseWSGIServer = make_server(
            HOST, port, app, threaded=True, request_handler=handler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},  # how long stop() may wait
            name=f"wsgi-{self.port}",
            daemon=True,
        )

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> Server:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()
