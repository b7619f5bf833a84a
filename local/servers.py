"""Threaded werkzeug WSGI servers on 127.0.0.1, each in a background thread."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

HOST = "127.0.0.1"  # local only: nothing here is meant for the network
RAW_HEADERS_KEY = "local.raw_headers"


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
