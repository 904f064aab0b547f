"""The fake Hub's HTTP side: a threaded server on 127.0.0.1 that records every request, injects failures
and stalls on demand, and stops promptly. What the Hub answers is fakehub.py's (`FakeHttpServer._route`).

Standard library only. Errors carry the Hub's headers (`X-Error-Code`, `X-Error-Message`) so that
huggingface_hub's `hf_raise_for_status` maps them to the same exception classes as the real Hub's.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import traceback
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["FakeHttpServer", "HubResponse", "RecordedRequest", "Request", "b64", "error", "json_response",
           "truthy", "unb64"]

_RECORDED_HEADERS = ("user-agent", "range", "accept-encoding", "x-hf-download-counter", "if-none-match",
                     "http-referer", "x-title")

class HubResponse(Exception):
    """Raised inside a route to answer with an error; also the plain response container."""

    def __init__(
        self,
        status: int,
        body: bytes = b"",
        headers: list[tuple[str, str]] | None = None,
        content_type: str = "application/json; charset=utf-8",
    ):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = list(headers or [])
        self.content_type = content_type


def json_response(status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> HubResponse:
    return HubResponse(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers)


def error(status: int, message: str, code: str | None = None, **extra_headers: str) -> HubResponse:
    headers = [("X-Error-Message", message)]
    if code is not None:
        headers.append(("X-Error-Code", code))
    headers.extend((k.replace("_", "-"), v) for k, v in extra_headers.items())
    return json_response(status, {"error": message}, headers)


def truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def b64(obj: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def unb64(text: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


@dataclass
class RecordedRequest:
    """One request the fake Hub received (recorded on arrival; `status` is set once answered)."""

    method: str
    path: str  # percent-decoded path, without the query string
    query: dict[str, list[str]]  # every value of every parameter, in order ("expand[]" is kept as sent)
    token: str | None  # the Bearer token sent, if any
    headers: dict[str, str]  # lower-cased headers of interest: user-agent, range, x-hf-download-counter, ...
    status: int | None = None

    @property
    def authorized(self) -> bool:
        return self.token is not None


@dataclass
class Request:
    """A request as the routes see it."""

    method: str
    raw_path: str
    pairs: list[tuple[str, str]]  # query parameters in order
    token: str | None
    range: str | None
    body: bytes = b""  # what a PUT or POST sent (the other fakes' routes read it; the Hub's are GET only)

    @property
    def params(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for key, value in self.pairs:
            out.setdefault(key, []).append(value)
        return out

    def last(self, key: str, default: str | None = None) -> str | None:
        values = self.params.get(key)
        return values[-1] if values else default


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    hub: FakeHttpServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms delayed-ACK stalls
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.hub._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.hub._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:  # silence the default stderr access log
        pass

    def do_GET(self) -> None:
        self.server.hub._handle(self, "GET")

    def do_HEAD(self) -> None:
        self.server.hub._handle(self, "HEAD")

    def _unsupported(self) -> None:
        self.server.hub._handle(self, self.command)

    do_POST = do_PUT = do_DELETE = do_PATCH = _unsupported


class FakeHttpServer:
    """A threaded HTTP server on 127.0.0.1 (a random port) whose answers come from `_route(request)`.

    Behaviour injection (plain attributes, settable while the server runs):
      tokens: set[str]           accepted Bearer tokens. Any other token gets 401 "Invalid credentials in
                                 Authorization header" (like the Hub) unless `reject_invalid_tokens` is False.
      fail_status: int | None    answer every request with this status (500/502/503/504/429/...) ...
      fail_count: int | None     ... only for the next N requests (decremented as they fail); None: always.
      retry_after: int | None    send `Retry-After: N` with injected failures (429: RateLimit headers too).
      stall_seconds: float       sleep before answering (interrupted by stop()); `stall_count` limits it to N.
      inject_path_prefix: str | None   restrict failures and stalls to request paths starting with this.
    Observation: `requests` (list of RecordedRequest), `errors` (tracebacks of unexpected server errors),
    `request_count(path_prefix, method=None)`.
    """

    METHODS: tuple[str, ...] = ("GET", "HEAD")  # the other fakes (ModelScope's PUT, chat's POST) add theirs

    def __init__(self, tokens: Any = ()) -> None:
        self.tokens: set[str] = set(tokens)
        self.reject_invalid_tokens = True
        self.fail_status: int | None = None
        self.fail_count: int | None = None
        self.retry_after: int | None = None
        self.stall_seconds: float = 0.0
        self.stall_count: int | None = None
        self.inject_path_prefix: str | None = None
        self.requests: list[RecordedRequest] = []
        self.errors: list[str] = []

        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    def _route(self, req: Request) -> HubResponse:
        raise NotImplementedError

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        with self._lock:
            if self._server is not None:
                return self
            self._stop_event = threading.Event()
            server = _Server(("127.0.0.1", 0), _Handler)
            server.hub = self
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fakehub", daemon=True
            )
            self._server, self._thread = server, thread
        thread.start()
        return self

    def stop(self) -> None:
        """Stop promptly: wakes stalled handlers, closes the listening and the open keep-alive sockets."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
            if server is None:
                return
            self._stop_event.set()
            connections = list(self._connections)
        server.shutdown()
        server.server_close()
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        server = self._server
        if server is None:
            raise RuntimeError("the fake server is not running: call start() or use it as a context manager")
        return int(server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request_count(self, path_prefix: str = "", method: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for r in self.requests
                if r.path.startswith(path_prefix) and (method is None or r.method == method)
            )

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    # ------------------------------------------------------------------ request handling

    def _handle(self, handler: _Handler, method: str) -> None:
        split = urlsplit(handler.path)
        raw_path = split.path
        query_pairs = parse_qsl(split.query, keep_blank_values=True)
        query: dict[str, list[str]] = {}
        for key, value in query_pairs:
            query.setdefault(key, []).append(value)
        token = None
        auth = handler.headers.get("Authorization")
        if auth and auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        recorded = RecordedRequest(
            method=method,
            path=unquote(raw_path),
            query=query,
            token=token,
            headers={h: v for h in _RECORDED_HEADERS if (v := handler.headers.get(h)) is not None},
        )
        with self._lock:
            self.requests.append(recorded)
        # A request body (never sent by the read-only client) must be drained to keep the connection usable.
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""

        injected = self.inject_path_prefix is None or recorded.path.startswith(self.inject_path_prefix)
        if injected and self.stall_seconds > 0 and self._take("stall_count"):
            if self._stop_event.wait(self.stall_seconds):
                handler.close_connection = True
                return
        if self._stop_event.is_set():
            handler.close_connection = True
            return

        try:
            if injected and self.fail_status is not None and self._take("fail_count"):
                raise self._injected_failure(self.fail_status)
            if token is not None and token not in self.tokens and self.reject_invalid_tokens:
                raise error(401, "Invalid credentials in Authorization header")
            if method not in self.METHODS:
                raise error(405, f"Method {method} not allowed on the fake Hub")
            req = Request(method, raw_path, query_pairs, token, handler.headers.get("Range"), body)
            response = self._route(req)
        except HubResponse as exc:
            response = exc
        except Exception:  # a bug in the fake: report it as a 500 and keep it for the test to see
            self.errors.append(traceback.format_exc())
            response = error(500, "Internal Error - fakehub bug (see FakeHub.errors)")
        recorded.status = response.status
        self._write(handler, method, response)

    def _take(self, counter: str) -> bool:
        """True if an injected behaviour applies now; decrements its counter (None means unlimited)."""
        with self._lock:
            left = getattr(self, counter)
            if left is None:
                return True
            if left <= 0:
                return False
            setattr(self, counter, left - 1)
            return True

    def _injected_failure(self, status: int) -> HubResponse:
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            headers["Retry_After"] = str(self.retry_after)
        if status == 429:
            reset = self.retry_after if self.retry_after is not None else 1
            headers["RateLimit"] = f'"api";r=0;t={reset}'
            headers["RateLimit_Policy"] = '"fixed window";"api";q=500;w=300'
            return error(429, "You have exceeded our rate limit (fakehub).", **headers)
        return error(status, f"Injected failure {status} (fakehub)", **headers)

    def _write(self, handler: _Handler, method: str, response: HubResponse) -> None:
        try:
            handler.send_response(response.status)
            names = {name.lower() for name, _ in response.headers}
            if "content-type" not in names:
                handler.send_header("Content-Type", response.content_type)
            if "content-length" not in names:
                handler.send_header("Content-Length", str(len(response.body)))
            handler.send_header("X-Request-Id", f"Root=fakehub-{uuid.uuid4().hex[:16]}")
            for name, value in response.headers:
                handler.send_header(name, value)
            handler.end_headers()
            if method != "HEAD" and response.body:
                handler.wfile.write(response.body)
            handler.wfile.flush()
        except OSError:  # the client went away (e.g. it timed out on a stall)
            handler.close_connection = True

    # ------------------------------------------------------------------ routing

