"""An OpenAI-compatible test server that simulates continuous batching. Standard library only.

    with BatchingServer(step_s=0.01, per_request_s=0.001) as server:   # free port, always stopped
        ... POST f"{server.url}/v1/chat/completions" (stream) with any model name ...
        server.max_active, server.max_active_by_model["a"]

One scheduler thread runs decode steps; each step lasts `step_s + per_request_s × active requests` (a step
grows mildly with the batch, as on a real server), and at its end every active request gets one token. A request
that arrives mid-step joins the next one. So N concurrent requests finish in about the time of one: a client
that sends them one by one is N times slower, one that bounds concurrency well is not.

Streams are llama.cpp/vLLM-shaped: a role chunk, one content chunk per token, a finish chunk, a usage chunk when
`stream_options.include_usage` is set, then `data: [DONE]`. `max_tokens` (default `tokens`) sets the length.
`/v1/models` lists `models`; any model name is served. `requests` counts the chat requests; `max_active` and
`max_active_by_model` record the most requests in flight at once (in all, and per requested model name).
`hold(after=N)` lets N more answers finish, then holds every other one before its last chunk (mid-answer: the
test decides when a run is in flight, not the machine's speed) until `release()`; a held stream gets an SSE
comment every step, so a client that goes away is noticed (`disconnects`) as it would be by a real server.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["BatchingServer"]


class BatchingServer:
    def __init__(self, *, step_s: float = 0.01, per_request_s: float = 0.0005, tokens: int = 32,
                 models: Sequence[str] = ("batch",), api_key: str | None = None, port: int = 0) -> None:
        self.port = port
        self.step_s = step_s
        self.per_request_s = per_request_s
        self.tokens = tokens
        self.models = list(models)
        self.api_key = api_key
        self.active = 0
        self.active_by_model: dict[str, int] = {}
        self.max_active = 0
        self.max_active_by_model: dict[str, int] = {}
        self.requests = 0
        self.completed = 0
        self.disconnects = 0
        self.steps = 0
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._finishes_left: int | None = None  # None: answers finish freely; n: n more may, then hold
        self._httpd: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> BatchingServer:
        handler = type("Handler", (_Handler,), {"owner": self})
        self._httpd = _Listener(("127.0.0.1", self.port), handler)
        self._httpd.daemon_threads = True
        self._threads = [
            threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                             name="batching-http"),
            threading.Thread(target=self._schedule, daemon=True, name="batching-steps"),
        ]
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        for t in self._threads:
            t.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> BatchingServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def hold(self, after: int = 0) -> None:
        """Let `after` more answers finish; every other one waits before its last chunk until `release()`."""
        with self._cond:
            self._finishes_left = after

    def release(self) -> None:
        with self._cond:
            self._finishes_left = None
            self._cond.notify_all()

    # --- the decode loop -----------------------------------------------------------------------------------

    def _schedule(self) -> None:
        while not self._stopping.is_set():
            with self._cond:
                if self.active == 0:
                    self._cond.wait(0.05)  # idle until a request arrives
                    continue
                batch = self.active
            time.sleep(self.step_s + self.per_request_s * batch)
            with self._cond:
                self.steps += 1
                self._cond.notify_all()

    def _join(self, model: str) -> int:
        with self._cond:
            self.requests += 1
            self.active += 1
            self.active_by_model[model] = self.active_by_model.get(model, 0) + 1
            self.max_active = max(self.max_active, self.active)
            self.max_active_by_model[model] = max(self.max_active_by_model.get(model, 0),
                                                  self.active_by_model[model])
            self._cond.notify_all()
            return self.steps

    def _leave(self, model: str, completed: bool) -> None:
        with self._cond:
            self.active -= 1
            self.active_by_model[model] -= 1
            if completed:
                self.completed += 1
            else:
                self.disconnects += 1

    def _may_finish(self) -> bool:
        with self._cond:
            if self._finishes_left is None:
                return True
            if self._finishes_left > 0:
                self._finishes_left -= 1
                return True
            return False

    def _next_step(self, seen: int) -> int:
        """Wait for the end of the step after `seen`; return its number (-1: stopping)."""
        with self._cond:
            self._cond.wait_for(lambda: self.steps > seen or self._stopping.is_set())
            return -1 if self._stopping.is_set() else self.steps


class _Listener(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: more clients connecting at once (a load test's users) have their
    # SYNs dropped and retried by TCP a second later, a stall no real server (uvicorn: 2048) makes.
    request_queue_size = 1024


class _Handler(BaseHTTPRequestHandler):
    owner: BatchingServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle(self) -> None:
        try:
            super().handle()
        except OSError:  # the client reset an idle keep-alive connection: its right
            self.close_connection = True

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self) -> bool:
        key = self.owner.api_key
        if key is None or self.headers.get("Authorization") == f"Bearer {key}":
            return True
        self._json(401, {"detail": "Invalid API key"})
        return False

    def do_GET(self) -> None:
        if not self._authorized():
            return
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            self._json(200, {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "test"}
                                                        for m in self.owner.models]})
        elif self.path.rstrip("/") == "/health":
            self._json(200, {})
        else:
            self._json(404, {"detail": "Not Found"})

    def _event(self, payload: Any) -> None:
        data = ("data: " + (payload if isinstance(payload, str) else json.dumps(payload)) + "\n\n").encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not self._authorized():
            return
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if self.path.rstrip("/") != "/v1/chat/completions" or not isinstance(body, dict):
            self._json(404, {"detail": "Not Found"})
            return
        model = str(body.get("model", ""))
        n = int(body.get("max_tokens") or self.owner.tokens)
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body.get("messages") or [])
        seen = self.owner._join(model)
        completed = False
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()

            def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
                return {"id": "chatcmpl-batch", "object": "chat.completion.chunk", "model": model,
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

            self._event(chunk({"role": "assistant"}))
            for i in range(n):
                seen = self.owner._next_step(seen)
                if seen < 0:
                    return
                self._event(chunk({"content": f" t{i}"}))
            while not self.owner._may_finish():  # held: a comment a step, which a vanished client fails
                seen = self.owner._next_step(seen)
                if seen < 0:
                    return
                self.wfile.write(b"8\r\n: held\n\n\r\n")
                self.wfile.flush()
            finish = "length" if body.get("max_tokens") else "stop"
            self._event(chunk({}, finish))
            if (body.get("stream_options") or {}).get("include_usage"):
                self._event({"id": "chatcmpl-batch", "object": "chat.completion.chunk", "model": model,
                             "choices": [], "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": n,
                                                      "total_tokens": prompt_tokens + n}})
            self._event("[DONE]")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            completed = True
        except OSError:  # the client went away (a cancelled stream)
            self.close_connection = True
        finally:
            self.owner._leave(model, completed)


def main() -> None:
    """`python -m tests.support.batching_server [STEP_S PER_REQUEST_S [PORT]]`: serve until killed, the URL on
    stdout (a server a test can kill for real: its connections close with it; and start again on its port)."""
    import sys

    step, per = (float(a) for a in sys.argv[1:3]) if len(sys.argv) >= 3 else (0.01, 0.0005)
    server = BatchingServer(step_s=step, per_request_s=per, port=int(sys.argv[3]) if len(sys.argv) > 3 else 0).start()
    print(server.url, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
