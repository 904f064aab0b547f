"""A cheap stand-in for a model server, run as a program by the supervisor tests.

It takes the llama.cpp server's flags (only --host and --port matter), reads its key from API_KEY as
llama_cpp.server does, and behaves as asked by --behave:
  ok    answer GET /v1/models (Bearer key) like an OpenAI-compatible server
  exit  print a line nobody has a pattern for and exit 3 during start
  hang  never listen; start a child process in the same group (it must be killed too) and sleep
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model_alias", default="stub")
    parser.add_argument("--behave", default="ok", choices=["ok", "exit", "hang"])
    args, _ = parser.parse_known_args()
    key = os.environ.get("API_KEY")
    print(f"stub server pid {os.getpid()} behaving {args.behave}", flush=True)
    if args.behave == "exit":
        print("boom: the frobnicator could not be initialised", flush=True)
        return 3
    if args.behave == "hang":
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        time.sleep(600)
        return 0

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path != "/v1/models":
                self.send_error(404)
                return
            if key and self.headers.get("Authorization") != f"Bearer {key}":
                self.send_error(401)
                return
            body = json.dumps({"object": "list", "data": [{"id": args.model_alias, "object": "model"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a: object) -> None:
            pass

    HTTPServer((args.host, args.port), Handler).serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
