"""OpenAI-compatible test servers on 127.0.0.1 that behave well or badly on purpose. Standard library only.

    with OAIServer(api_key="k") as server:          # free port, serving thread, always stopped
        ... POST f"{server.url}/v1/chat/completions" with model="vllm" ...

The request's `model` picks the behaviour (`NAME` or `NAME:N`):

    llama       llama.cpp-shaped (as measured from llama-cpp-python 0.3): role-only chunk, one content chunk per
                token, empty delta with finish_reason, [DONE]; no usage even when asked
    vllm        vLLM-shaped: role chunk with content "", an empty "" piece (a byte token) mid-stream, finish_reason on
                the last content chunk, and with stream_options.include_usage a `choices: []` chunk with usage
    slow        llama-shaped after `prefill_s`, then one token every `token_s`; CRLF event endings
    endless     tokens every `token_s` until the client goes away (or the server stops), whatever max_tokens
                says; CRLF endings
    no-newline  a role chunk, then N bytes (default 65536) with no line end every `token_s`, for ever
    no-done     llama-shaped, body ends cleanly after finish_reason without `data: [DONE]`
    linger:MS   llama-shaped, the body ending MS ms after [DONE] (a server that ends its body late)
    die:N       N content chunks, then the socket is shut down mid chunked body (FIN)
    reset:N     N content chunks, then the connection is reset (RST)
    eof:N       N content chunks of a Connection: close body (no chunked framing), then a clean EOF
    stall:N     N content chunks, then nothing until the server stops
    hang        reads the request, never answers
    http:CODE   that status with a body in the shape real servers use (400: OpenAI/vLLM error JSON,
                500: uvicorn's plain text, others: FastAPI `detail`)
    malformed   two content chunks, then `data: {not json`
    no-choices  a chunk without `choices`
    error-event one content chunk, then vLLM's `data: {"error": {...}}` and [DONE] inside the 200 stream
    not-sse     200 with a JSON body instead of an event stream

A wrong or missing key (when `api_key` is set) gets llama-cpp-python's 401. `requests` records what arrived
(with the client's port, to tell a reused connection from a new one); `disconnects` records the model of every
stream whose client went away while it was still writing.
"""

from __future__ import annotations

import io
import json
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["TOKENS", "OAIServer", "RecordedRequest"]

TOKENS = ["Red", ",", " orange", ",", " yellow", ",", " green", ",", " blue", ",", " indigo", " and", " violet",
          "."]
PROMPT_TOKENS = 17
VLLM_400 = ("As of transformers v4.44, default chat template is no longer allowed, so you must provide a chat "
            "template if the tokenizer does not define one.")


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    client_port: int


@dataclass
class _Conn:
    sock: socket.socket
    thread: threading.Thread


@dataclass
class OAIServer:
    api_key: str | None = None
    prefill_s: float = 0.10
    token_s: float = 0.03
    requests: list[RecordedRequest] = field(default_factory=list)
    disconnects: list[str] = field(default_factory=list)
    # Models whose answer a test writes: name -> (request body -> the text to stream). Listed at /v1/models.
    scripted: dict[str, Callable[[dict[str, Any]], str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.stopping = threading.Event()
        self.disconnected = threading.Event()
        self._conns: dict[int, _Conn] = {}
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> OAIServer:
        handler = type("Handler", (_Handler,), {"owner": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="oai-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake stalled handlers, cut open connections, and wait for every handler thread."""
        self.stopping.set()
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            conns = list(self._conns.values())
        for conn in conns:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for conn in conns:
            conn.thread.join(timeout=5)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> OAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _register(self, sock: socket.socket) -> None:
        with self._lock:
            self._conns[id(sock)] = _Conn(sock, threading.current_thread())

    def _unregister(self, sock: socket.socket) -> None:
        with self._lock:
            self._conns.pop(id(sock), None)


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None, *, vllm: bool = False) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    if vllm:
        choice["stop_reason"] = None
    return {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1763860000, "model": model,
            "choices": [choice]}


class _ClientGone(Exception):
    pass


class _Handler(BaseHTTPRequestHandler):
    owner: OAIServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms delayed-ACK stalls

    def setup(self) -> None:
        super().setup()
        self.owner._register(self.connection)

    def handle(self) -> None:
        try:
            super().handle()
        except OSError:  # the client reset an idle keep-alive connection: its right
            self.close_connection = True

    def finish(self) -> None:
        self.owner._unregister(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -- plumbing --------------------------------------------------------------------------------------------

    def _record(self, body: Any) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.owner.requests.append(RecordedRequest(self.command, self.path, headers, body, self.client_address[1]))

    def _json(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self) -> bool:
        key = self.owner.api_key
        if key is None or self.headers.get("Authorization") == f"Bearer {key}":
            return True
        self._json(401, {"detail": "Invalid API key"})
        return False

    def _begin_sse(self, chunked: bool = True) -> None:
        self.chunked = chunked
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()

    def _write(self, text: str) -> None:
        data = text.encode()
        try:
            if self.chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            else:
                self.wfile.write(data)
            self.wfile.flush()
        except OSError as exc:  # BrokenPipe, ConnectionReset: the client went away
            raise _ClientGone from exc

    def _event(self, payload: Any, sep: str = "\n\n") -> None:
        self._write("data: " + (payload if isinstance(payload, str) else json.dumps(payload)) + sep)

    def _end(self) -> None:
        if self.chunked:
            self._write_raw(b"0\r\n\r\n")

    def _write_raw(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
        except OSError as exc:
            raise _ClientGone from exc

    def _wait(self, seconds: float) -> None:
        if self.owner.stopping.wait(seconds):
            raise _ClientGone  # the server is stopping: end this handler now

    # -- routes ----------------------------------------------------------------------------------------------

    def _stream_text(self, model: str, text: str, piece: int = 7) -> None:
        """`text` as a llama-shaped stream, `piece` characters a chunk (a JSON answer split as a server splits it)."""
        self._begin_sse()
        self._event(_chunk(model, {"role": "assistant"}))
        for i in range(0, len(text), piece):
            self._event(_chunk(model, {"content": text[i: i + piece]}))
        self._event(_chunk(model, {}, "stop"))
        self._event("[DONE]")
        self._end()

    def do_GET(self) -> None:
        self._record(None)
        if not self._authorized():
            return
        if self.path.rstrip("/") == "/v1/models":
            self._json(200, {"object": "list", "data": [
                {"id": "llama", "object": "model", "created": 1763860000, "owned_by": "me"},
                {"id": "vllm", "object": "model", "created": 1763860000, "owned_by": "vllm"},
                *({"id": m, "object": "model", "created": 1763860000, "owned_by": "me"} for m in self.owner.scripted)]})
        else:
            self._json(404, {"detail": "Not Found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        self._record(body)
        if not self._authorized():
            return
        if self.path.rstrip("/") != "/v1/chat/completions" or not isinstance(body, dict):
            self._json(404, {"detail": "Not Found"})
            return
        model = str(body.get("model", "llama"))
        name, _, arg = model.partition(":")
        try:
            self._serve(name, int(arg) if arg.isdigit() else 0, model, body)
        except _ClientGone:
            if not self.owner.stopping.is_set():
                self.owner.disconnects.append(model)
                self.owner.disconnected.set()
            self.close_connection = True

    def _serve(self, name: str, n: int, model: str, body: dict[str, Any]) -> None:
        script = self.owner.scripted.get(name)
        if script is not None:
            self._stream_text(model, script(body))
            return
        max_tokens = body.get("max_tokens") or len(TOKENS)
        tokens = TOKENS[:max_tokens]
        finish = "length" if max_tokens < len(TOKENS) else "stop"
        if name == "http":
            if n == 400:
                self._json(400, {"error": {"message": VLLM_400, "type": "BadRequestError", "param": None,
                                           "code": 400}})
            elif n == 500:
                self._json(500, b"Internal Server Error", "text/plain; charset=utf-8")
            else:
                self._json(n, {"detail": f"status {n}"})
            return
        if name == "not-sse":
            self._json(200, {"id": "chatcmpl-test", "object": "chat.completion", "choices": []})
            return
        if name == "hang":
            self._wait(3600)
            return
        if name == "vllm":
            self._vllm(model, tokens, finish, body)
            return
        self._begin_sse(chunked=name != "eof")
        # llama-cpp-python ends events with "\n\n" (measured); other sse-starlette servers use CRLF. Cover both.
        sep = "\r\n\r\n" if name in ("slow", "endless") else "\n\n"
        self._event(_chunk(model, {"role": "assistant"}), sep)
        if name in ("llama", "slow", "no-done", "linger"):
            if name == "slow":
                self._wait(self.owner.prefill_s)
            for i, token in enumerate(tokens):
                if name == "slow" and i:
                    self._wait(self.owner.token_s)
                self._event(_chunk(model, {"content": token}), sep)
            self._event(_chunk(model, {}, finish), sep)
            if name != "no-done":
                self._event("[DONE]", sep)
            if name == "linger":
                self._wait(n / 1000)
            self._end()
            return
        if name == "no-newline":
            blob = "x" * (n or 65536)
            while True:
                self._write(blob)
                self._wait(self.owner.token_s)
        if name == "endless":
            for i in range(100_000):
                self._event(_chunk(model, {"content": f" w{i}"}), sep)
                self._wait(self.owner.token_s)
            return
        prefix = tokens[:n] if name in ("die", "reset", "eof", "stall") else tokens[: 2 if name == "malformed" else 1]
        for token in prefix:
            self._event(_chunk(model, {"content": token}), sep)
        if name == "die":
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        elif name == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()
            self.wfile.close()
            self.connection.close()  # with the makefile()s closed first, this really closes: RST
            self.rfile, self.wfile = io.BytesIO(), io.BytesIO()  # for the base class's final flush()
            self.close_connection = True
        elif name == "eof":
            pass  # Connection: close, so returning ends the body with a clean EOF
        elif name == "stall":
            self._wait(3600)
        elif name == "malformed":
            self._event("{not json", sep)
            self._end()
        elif name == "no-choices":
            self._event({"id": "chatcmpl-test", "object": "chat.completion.chunk", "model": model}, sep)
            self._end()
        elif name == "error-event":
            self._event({"error": {"object": "error", "message": "Engine core died: head_dim=16 unsupported",
                                   "type": "InternalServerError", "param": None, "code": 500}})
            self._event("[DONE]")
            self._end()
        else:
            self._json(404, {"detail": f"unknown behaviour {name!r}"})

    def _vllm(self, model: str, tokens: list[str], finish: str, body: dict[str, Any]) -> None:
        self._begin_sse()
        self._event(_chunk(model, {"role": "assistant", "content": ""}, vllm=True))
        pieces = [*tokens[:3], "", *tokens[3:]]  # the "" is a byte token that decoded to nothing yet
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            self._event(_chunk(model, {"content": piece}, finish if last else None, vllm=True))
        options = body.get("stream_options") or {}
        if options.get("include_usage"):
            completion = len(pieces)
            self._event({"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1763860000,
                         "model": model, "choices": [], "usage": {"prompt_tokens": PROMPT_TOKENS,
                                                                   "total_tokens": PROMPT_TOKENS + completion,
                                                                   "completion_tokens": completion}})
        self._event("[DONE]")
        self._end()
