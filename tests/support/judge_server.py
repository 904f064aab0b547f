"""An OpenAI-compatible judge for tests: the misbehaving-servers' server (oai_servers.py) that, asked for the
model "judge", answers a verdict chosen by a marker (GOOD, BAD, MAYBE, PROSE) in the graded output; asked for the
model "echo", answers the request's system prompt (so a test sees what a prompt version sent)."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Any

from . import oai_servers
from .oai_servers import OAIServer

__all__ = ["ANSWERS", "JudgeServer"]

# What the judge server answers, by a marker in the graded output.
ANSWERS = {
    "GOOD": '{"verdict": "pass", "reason": "correct"}',
    "BAD": 'Here is my grade:\n```json\n{"verdict": "FAIL", "reason": "it refused"}\n```',
    "MAYBE": '{"verdict": "maybe", "reason": "unsure"}',
    "PROSE": "The answer looks fine to me overall.",
}


class _JudgeHandler(oai_servers._Handler):
    def do_GET(self) -> None:
        if self.path.rstrip("/") != "/v1/models" or not self._authorized():
            super().do_GET()
            return
        self._record(None)
        self._json(200, {"object": "list", "data": [{"id": "judge", "object": "model", "owned_by": "me"}]})

    def _serve(self, name: str, n: int, model: str, body: dict[str, Any]) -> None:
        if name == "echo":
            text = next((m["content"] for m in body["messages"] if m.get("role") == "system"), "(no system prompt)")
        elif name == "judge":
            user = body["messages"][-1]["content"]
            output = user.split("## Model output", 1)[1]
            text = next((a for k, a in ANSWERS.items() if k in output), "{}")
        else:
            super()._serve(name, n, model, body)
            return
        self._begin_sse()
        self._event(oai_servers._chunk(model, {"role": "assistant"}))
        for i in range(0, len(text), 7):  # the JSON split over chunks, as a real server streams it
            self._event(oai_servers._chunk(model, {"content": text[i: i + 7]}))
        self._event(oai_servers._chunk(model, {}, "stop"))
        self._event("[DONE]")
        self._end()


class JudgeServer(OAIServer):
    def start(self) -> JudgeServer:
        handler = type("Handler", (_JudgeHandler,), {"owner": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self
