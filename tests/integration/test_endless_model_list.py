"""`modelpick endpoint add` against a server whose /v1/models never ends (issue 11): one that floods the list
and one that drips it a byte at a time. The list is read with a size cap and a deadline: one line, in bounded
time and memory, and no endpoint stored."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from modelpick_tui.serving.backends import MODEL_LIST_MAX_BYTES
from tests.support.processes import modelpick_measured

TIME_LIMIT_S = 40  # check_remote's deadline is 10 s; before, the flood ran past 60 s with memory growing
RSS_LIMIT_MB = 400


class _Endless(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    drip_s = 0.0  # 0: as fast as the socket takes it
    stopping: threading.Event

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        piece = b"x" if self.drip_s else b'{"id": "model-' + b"0" * 4000 + b'"},'
        try:
            self._chunk(b'{"object": "list", "data": [')
            while not self.stopping.is_set():  # until the client hangs up
                self._chunk(piece)
                if self.drip_s:
                    time.sleep(self.drip_s)  # the hostile server's pace, not a test wait
        except OSError:
            pass

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(params=["flood", "drip"])
def endless(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    stopping = threading.Event()
    handler = type("H", (_Endless,), {"drip_s": 0.2 if request.param == "drip" else 0.0, "stopping": stopping})
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}", request.param
    finally:
        stopping.set()
        srv.shutdown()
        srv.server_close()


def test_an_endless_model_list_is_one_line_in_bounded_time_and_memory(tmp_path: Path,
                                                                     endless: tuple[str, str]) -> None:
    url, kind = endless
    db = tmp_path / "db" / "modelpick.db"
    done = modelpick_measured(tmp_path, db, "endpoint", "add", "team", url, "m", timeout=TIME_LIMIT_S)
    assert done.code == 1 and done.stdout == ""
    why = (f"the model list is over {MODEL_LIST_MAX_BYTES // 1_000_000} MB (a fixed limit)" if kind == "flood"
           else "the model list did not end within 10 s")
    assert [line for line in done.stderr.splitlines() if line.strip()] == [
        f"error: {url}/v1/models: {why}; is this an OpenAI-compatible endpoint?"]
    assert done.seconds < TIME_LIMIT_S and done.peak_rss_mb < RSS_LIMIT_MB, (done.seconds, done.peak_rss_mb)
    listed = modelpick_measured(tmp_path, db, "servers", "--all", "--json", timeout=TIME_LIMIT_S)
    assert listed.code == 0 and "team" not in listed.stdout  # nothing half-added


async def test_the_clients_model_list_is_capped_too(endless: tuple[str, str]) -> None:
    """serving.client.list_models (the stream client's /v1/models) reads with the same caps: one line, soon."""
    from modelpick_tui.serving.client import EndpointError, Timeouts, list_models

    url, kind = endless
    started = time.monotonic()
    with pytest.raises(EndpointError) as caught:
        await list_models(url, timeouts=Timeouts(connect=2.0, read=3.0))
    assert time.monotonic() - started < TIME_LIMIT_S
    expected = ("the model list is over 4 MB (a fixed limit)" if kind == "flood"
                else "the model list did not end within 3 s")
    assert str(caught.value) == f"{url}/v1/models: {expected}"
