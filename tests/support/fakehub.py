"""A fake Hugging Face Hub on 127.0.0.1, for testing our real `huggingface_hub` client code offline.

Standard library only. It speaks the subset of the Hub HTTP API that `HfApi.list_models`, `HfApi.model_info`,
`HfApi.list_repo_tree`, `hf_hub_download` and `ModelCard.load` use, with the same JSON shapes, headers,
pagination (`Link: <...>; rel="next"` with a cursor) and error headers (`X-Error-Code`, `X-Error-Message`)
as the real Hub, so that `hf_raise_for_status` maps errors to the same exception classes.

    with FakeHub(models, cards) as hub:
        api = HfApi(endpoint=hub.url, token=False)
        ...
        hub.fail_status, hub.fail_count, hub.retry_after = 503, 1, 0   # behaviour injection, at run time

A model record is the JSON of `GET /api/models/{id}?blobs=true` (camelCase keys, siblings with sizes) plus
one extra non-API key, "config_json": the full config.json dict (or None). `cards` maps repo id -> README.md.
Records and cards are read at construction; build a new FakeHub to change them.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import math
import re
import socket
import threading
import traceback
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

__all__ = [
    "DEFAULT_TOKEN",
    "FakeHub",
    "RecordedRequest",
    "builtin_catalog",
    "write_sample_data",
]

DEFAULT_TOKEN = "hf_fakehub_test_token"
MAX_SERVED_SIZE = 1024 * 1024  # bodies are only served for files (or ranges) up to 1 MiB

# `expand=` values the real Hub accepts for models (huggingface_hub.hf_api.ExpandModelProperty_T).
EXPANDABLE = frozenset(
    {
        "author", "baseModels", "cardData", "childrenModelCount", "config", "createdAt", "disabled",
        "downloads", "downloadsAllTime", "evalResults", "gated", "gguf", "inference",
        "inferenceProviderMapping", "lastModified", "library_name", "likes", "mask_token", "model-index",
        "pipeline_tag", "private", "resourceGroup", "safetensors", "sha", "siblings", "spaces", "tags",
        "transformersInfo", "trendingScore", "usedStorage", "widgetData",
    }
)  # fmt: skip
# Keys of one item of `GET /api/models` without expand/full (plus "_id" and "modelId").
LIST_DEFAULT_KEYS = (
    "id", "likes", "trendingScore", "private", "downloads", "tags", "pipeline_tag", "library_name",
    "createdAt",
)  # fmt: skip
LIST_FULL_KEYS = ("author", "sha", "lastModified", "gated", "disabled", "siblings")
SORT_KEYS = {
    "downloads": "downloads",
    "likes": "likes",
    "trendingScore": "trendingScore",
    "trending_score": "trendingScore",
    "lastModified": "lastModified",
    "last_modified": "lastModified",
    "createdAt": "createdAt",
    "created_at": "createdAt",
}
# apps= values: which models each local app can run.
GGUF_APPS = frozenset(
    {"llama.cpp", "ollama", "lmstudio", "jan", "localai", "llamafile", "koboldcpp", "backyard", "msty"}
)
SERVING_APPS = frozenset({"vllm", "sglang", "tgi", "text-generation-inference"})
SERVING_TASKS = frozenset({"text-generation", "image-text-to-text"})
MLX_APPS = frozenset({"mlx-lm", "mlx"})
# Files of a gated repo that the real Hub serves without an approved token.
PUBLIC_GATED_FILES = frozenset({"README.md", ".gitattributes"})
LFS_SUFFIXES = (".safetensors", ".gguf", ".bin", ".pth", ".pt", ".onnx", ".h5", ".msgpack", ".model")
_UNITS = {"": 1, "K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}
_NUM_PARAMS_RE = re.compile(r"^\s*(min|max)\s*:\s*([0-9]*\.?[0-9]+)\s*([KMBT]?)\s*$", re.IGNORECASE)
_RANGE_RE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)
_RECORDED_HEADERS = ("user-agent", "range", "accept-encoding", "x-hf-download-counter", "if-none-match")


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


def _json_response(status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> HubResponse:
    return HubResponse(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers)


def _error(status: int, message: str, code: str | None = None, **extra_headers: str) -> HubResponse:
    headers = [("X-Error-Message", message)]
    if code is not None:
        headers.append(("X-Error-Code", code))
    headers.extend((k.replace("_", "-"), v) for k, v in extra_headers.items())
    return _json_response(status, {"error": message}, headers)


def _git_blob_oid(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def _fake_hex(*parts: str, n: int = 40) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:n]


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _b64(obj: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def _unb64(text: str) -> Any:
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
class _Req:
    method: str
    raw_path: str
    pairs: list[tuple[str, str]]  # query parameters in order
    token: str | None
    range: str | None

    @property
    def params(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for key, value in self.pairs:
            out.setdefault(key, []).append(value)
        return out

    def last(self, key: str, default: str | None = None) -> str | None:
        values = self.params.get(key)
        return values[-1] if values else default


@dataclass
class _File:
    name: str
    size: int
    oid: str  # git blob oid
    lfs_sha256: str | None = None
    pointer_size: int = 134
    content: bytes | None = None  # None: a deterministic body of `size` bytes is generated on demand

    @property
    def is_lfs(self) -> bool:
        return self.lfs_sha256 is not None


@dataclass
class _Repo:
    record: dict[str, Any]
    files: dict[str, _File] = field(default_factory=dict)
    dirs: set[str] = field(default_factory=set)

    @property
    def id(self) -> str:
        return str(self.record["id"])

    @property
    def sha(self) -> str:
        return str(self.record["sha"])


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    hub: FakeHub


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


class FakeHub:
    """A fake Hugging Face Hub over HTTP on 127.0.0.1 (a random port), run in a background thread.

    Constructor: `FakeHub(models, cards, *, page_size=50, tree_page_size=1000, tokens=(DEFAULT_TOKEN,),
    files=None, cdn_host="localhost")`. `files` maps (repo_id, filename) -> bytes to serve real content for
    a file (it is added to the repo if the record does not list it).

    Behaviour injection (plain attributes, settable while the server runs):
      gated: set[str]            repo ids that answer 401 GatedRepo (model_info, tree, resolve) without a
                                 token from `tokens`. Independently, records whose "gated" is truthy have
                                 their files (not README.md/.gitattributes) gated like on the real Hub,
                                 unless `enforce_gated_files` is False.
      tokens: set[str]           accepted Bearer tokens. Any other token gets 401 "Invalid credentials in
                                 Authorization header" (like the Hub) unless `reject_invalid_tokens` is False.
      fail_status: int | None    answer every request with this status (500/502/503/504/429/...) ...
      fail_count: int | None     ... only for the next N requests (decremented as they fail); None: always.
      retry_after: int | None    send `Retry-After: N` with injected failures (429: RateLimit headers too).
      stall_seconds: float       sleep before answering (interrupted by stop()); `stall_count` limits it to N.
      inject_path_prefix: str | None   restrict failures and stalls to request paths starting with this.
      lfs_redirect: bool         LFS files resolve with a 302 to a "CDN" URL on `cdn_host` (another origin,
                                 like the real Hub), carrying X-Linked-Etag / X-Linked-Size. Default True.
    Observation: `requests` (list of RecordedRequest), `errors` (tracebacks of unexpected server errors),
    `request_count(path_prefix, method=None)`.
    """

    def __init__(
        self,
        models: Iterable[Mapping[str, Any]],
        cards: Mapping[str, str] | None = None,
        *,
        page_size: int = 50,
        tree_page_size: int = 1000,
        tokens: Iterable[str] = (DEFAULT_TOKEN,),
        files: Mapping[tuple[str, str], bytes] | None = None,
        cdn_host: str = "localhost",
    ):
        if page_size < 1 or tree_page_size < 1:
            raise ValueError("page sizes must be >= 1")
        self.page_size = page_size
        self.tree_page_size = tree_page_size
        self.cards: dict[str, str] = dict(cards or {})
        self.cdn_host = cdn_host
        # injection knobs
        self.gated: set[str] = set()
        self.tokens: set[str] = set(tokens)
        self.reject_invalid_tokens = True
        self.enforce_gated_files = True
        self.fail_status: int | None = None
        self.fail_count: int | None = None
        self.retry_after: int | None = None
        self.stall_seconds: float = 0.0
        self.stall_count: int | None = None
        self.inject_path_prefix: str | None = None
        self.lfs_redirect = True
        # observation
        self.requests: list[RecordedRequest] = []
        self.errors: list[str] = []

        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._repos: dict[str, _Repo] = {}
        extra = dict(files or {})
        for record in models:
            repo = self._build_repo(record, extra)
            if repo.id in self._repos:
                raise ValueError(f"duplicate model id {repo.id!r}")
            self._repos[repo.id] = repo
        unknown = {repo_id for repo_id, _ in extra} - set(self._repos)
        if unknown:
            raise ValueError(f"files given for unknown repos: {sorted(unknown)}")

    # ------------------------------------------------------------------ construction helpers

    @classmethod
    def from_sample_data(cls, directory: str | Path, **kwargs: Any) -> FakeHub:
        """Load `<dir>/catalog.jsonl` (one record a line) and `<dir>/cards/*.md` (owner__name.md)."""
        directory = Path(directory)
        models = []
        with (directory / "catalog.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    models.append(json.loads(line))
        cards = {}
        cards_dir = directory / "cards"
        if cards_dir.is_dir():
            for path in sorted(cards_dir.glob("*.md")):
                cards[path.stem.replace("__", "/")] = path.read_text(encoding="utf-8")
        return cls(models, cards, **kwargs)

    def _build_repo(self, raw: Mapping[str, Any], extra: dict[tuple[str, str], bytes]) -> _Repo:
        record = copy.deepcopy(dict(raw))
        repo_id = str(record["id"])
        record.setdefault("sha", _fake_hex("sha", repo_id))
        record.setdefault("author", repo_id.split("/")[0] if "/" in repo_id else None)
        record.setdefault("private", False)
        record.setdefault("gated", False)
        record.setdefault("disabled", False)
        record.setdefault("tags", [])
        record.setdefault("siblings", [])
        repo = _Repo(record)

        card = self.cards.get(repo_id)
        config_json = record.get("config_json")
        for sibling in record["siblings"]:
            name = sibling["rfilename"]
            content = extra.pop((repo_id, name), None)
            if content is None and name == "README.md" and card is not None:
                content = card.encode("utf-8")
            if content is None and name == "config.json" and config_json is not None:
                content = self._config_bytes(config_json)
            lfs = sibling.get("lfs")
            if content is not None:
                sha256 = hashlib.sha256(content).hexdigest() if lfs else None
                repo.files[name] = _File(name, len(content), _git_blob_oid(content), sha256, content=content)
            else:
                size = int(sibling.get("size") or (lfs or {}).get("size") or 0)
                oid = sibling.get("blobId") or _fake_hex("blob", repo_id, name)
                sha256 = None
                pointer_size = 134
                if lfs:
                    sha256 = lfs.get("sha256") or lfs.get("oid") or _fake_hex("lfs", repo_id, name, n=64)
                    pointer_size = int(lfs.get("pointerSize") or 134)
                repo.files[name] = _File(name, size, oid, sha256, pointer_size)
        # Files the Hub would have even if the record does not list them.
        implicit: list[tuple[str, bytes]] = []
        if card is not None and "README.md" not in repo.files:
            implicit.append(("README.md", card.encode("utf-8")))
        if config_json is not None and "config.json" not in repo.files:
            implicit.append(("config.json", self._config_bytes(config_json)))
        implicit.extend((name, data) for (rid, name), data in list(extra.items()) if rid == repo_id)
        for name, content in implicit:
            extra.pop((repo_id, name), None)
            sha256 = hashlib.sha256(content).hexdigest() if name.endswith(LFS_SUFFIXES) else None
            repo.files[name] = _File(name, len(content), _git_blob_oid(content), sha256, content=content)
            record["siblings"].append({"rfilename": name})
        for name in repo.files:
            parts = name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                repo.dirs.add("/".join(parts[:i]))
        return repo

    @staticmethod
    def _config_bytes(config_json: Any) -> bytes:
        return (json.dumps(config_json, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeHub:
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

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        server = self._server
        if server is None:
            raise RuntimeError("FakeHub is not running: call start() or use it as a context manager")
        return int(server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def models(self) -> list[dict[str, Any]]:
        """Copies of the records as given (with defaults filled in), in catalogue order."""
        return [copy.deepcopy(repo.record) for repo in self._repos.values()]

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
        if length:
            handler.rfile.read(length)

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
                raise _error(401, "Invalid credentials in Authorization header")
            if method not in ("GET", "HEAD"):
                raise _error(405, f"Method {method} not allowed on the fake Hub")
            req = _Req(method, raw_path, query_pairs, token, handler.headers.get("Range"))
            response = self._route(req)
        except HubResponse as exc:
            response = exc
        except Exception:  # a bug in the fake: report it as a 500 and keep it for the test to see
            self.errors.append(traceback.format_exc())
            response = _error(500, "Internal Error - fakehub bug (see FakeHub.errors)")
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
            return _error(429, "You have exceeded our rate limit (fakehub).", **headers)
        return _error(status, f"Injected failure {status} (fakehub)", **headers)

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

    def _route(self, req: _Req) -> HubResponse:
        # Split before decoding: revisions are sent with "/" encoded as %2F (refs/pr/1 -> refs%2Fpr%2F1).
        segments = [unquote(s) for s in req.raw_path.split("/")[1:]]
        if req.raw_path.rstrip("/") == "/api/models":
            return self._list_models(req)
        if req.raw_path.startswith("/api/models/"):
            repo, rest = self._split_repo(segments[2:], req.token)
            if rest == []:
                return self._model_info(req, repo, None)
            if len(rest) == 2 and rest[0] == "revision":
                return self._model_info(req, repo, rest[1])
            if len(rest) >= 2 and rest[0] == "tree":
                return self._tree(req, repo, rest[1], "/".join(rest[2:]))
            raise _error(404, "Not Found")
        if len(segments) >= 2 and segments[0] == "__cdn":
            return self._cdn(req, segments[1])
        if "resolve" in segments[1:3]:
            i = segments.index("resolve", 1)
            repo, rest = self._split_repo(segments[:i], req.token)
            if rest or len(segments) < i + 3:
                raise _error(404, "Not Found")
            return self._resolve(req, repo, segments[i + 1], "/".join(segments[i + 2 :]))
        raise _error(404, "Not Found")

    def _split_repo(self, segments: list[str], token: str | None) -> tuple[_Repo, list[str]]:
        """Find the repo id at the start of the path segments (ids have one or two parts)."""
        for n in (2, 1):
            repo = self._repos.get("/".join(segments[:n])) if len(segments) >= n else None
            if repo is not None:
                if repo.record.get("private") and not self._valid_token(token):
                    # What the Hub answers an anonymous caller for a private repo.
                    raise _error(401, "Repository not found", "RepoNotFound")
                return repo, segments[n:]
        raise _error(404, "Repository not found", "RepoNotFound")

    def _valid_token(self, token: str | None) -> bool:
        return token is not None and token in self.tokens

    def _check_revision(self, repo: _Repo, revision: str | None) -> None:
        if revision is not None and revision not in ("main", repo.sha):
            raise _error(404, f"Invalid rev id: {revision}", "RevisionNotFound")

    def _check_gate(self, repo: _Repo, token: str | None, filename: str | None = None) -> None:
        gated = repo.id in self.gated or (
            filename is not None
            and self.enforce_gated_files
            and bool(repo.record.get("gated"))
            and filename not in PUBLIC_GATED_FILES
        )
        if not gated or self._valid_token(token):
            return
        if token is None:
            raise _error(
                401,
                f"Access to model {repo.id} is restricted. You must have access to it and be authenticated to"
                " access it. Please log in.",
                "GatedRepo",
            )
        raise _error(
            403,
            f"Access to model {repo.id} is restricted and you are not in the authorized list. Visit"
            f" https://huggingface.co/{repo.id} to ask for access.",
            "GatedRepo",
        )

    # ------------------------------------------------------------------ payloads

    def _siblings(self, repo: _Repo, blobs: bool) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for name, f in repo.files.items():
            if not blobs:
                out.append({"rfilename": name})
                continue
            entry: dict[str, Any] = {"rfilename": name, "size": f.size, "blobId": f.oid}
            if f.is_lfs:
                entry["lfs"] = {"size": f.size, "sha256": f.lfs_sha256, "pointerSize": f.pointer_size}
            out.append(entry)
        return out

    @staticmethod
    def _config(record: Mapping[str, Any]) -> Any:
        """The API's (trimmed) "config"; derived from config_json when the record has none."""
        config = record.get("config")
        if config is None and isinstance(record.get("config_json"), dict):
            cj = record["config_json"]
            config = {k: cj[k] for k in ("architectures", "model_type") if k in cj}
        return config

    def _property(self, repo: _Repo, key: str) -> tuple[bool, Any]:
        record = repo.record
        if key == "siblings":
            return True, self._siblings(repo, blobs=False)
        if key == "config":
            config = self._config(record)
            return config is not None, config
        if key == "downloadsAllTime" and key not in record and "downloads" in record:
            return True, record["downloads"]
        if key in record:
            return True, copy.deepcopy(record[key])
        return False, None

    def _with_ids(self, repo: _Repo) -> dict[str, Any]:
        return {"_id": repo.record.get("_id") or _fake_hex("_id", repo.id, n=24), "id": repo.id}

    def _expanded(self, repo: _Repo, expand: list[str]) -> dict[str, Any]:
        out = self._with_ids(repo)
        for key in expand:
            present, value = self._property(repo, key)
            if present:
                out[key] = value
        return out

    def _full_info(self, repo: _Repo, blobs: bool) -> dict[str, Any]:
        out = self._with_ids(repo)
        for key, value in repo.record.items():
            if key not in ("config_json", "siblings", "config", "_id", "id"):
                out[key] = copy.deepcopy(value)
        out["modelId"] = repo.id
        config = self._config(repo.record)
        if config is not None:
            out["config"] = config
        out["siblings"] = self._siblings(repo, blobs)
        return out

    @staticmethod
    def _expand_param(query: Mapping[str, list[str]]) -> list[str]:
        values = [v for key in ("expand", "expand[]") for v in query.get(key, [])]
        expand: list[str] = []
        for value in values:
            expand.extend(part for part in value.split(",") if part)
        for i, key in enumerate(expand):
            if key not in EXPANDABLE:
                raise _error(400, f'"expand[{i}]" must be one of [{", ".join(sorted(EXPANDABLE))}]')
        return list(dict.fromkeys(expand))

    # ------------------------------------------------------------------ routes

    def _model_info(self, req: _Req, repo: _Repo, revision: str | None) -> HubResponse:
        self._check_revision(repo, revision)
        self._check_gate(repo, req.token)
        expand = self._expand_param(req.params)
        blobs = _truthy(req.last("blobs", "false") or "false")
        if expand and blobs:
            raise _error(400, "The 'expand' parameter cannot be used with 'blobs' or 'securityStatus'")
        payload = self._expanded(repo, expand) if expand else self._full_info(repo, blobs)
        return _json_response(200, payload)

    def _list_models(self, req: _Req) -> HubResponse:
        params, last = req.params, req.last
        repos = [
            r for r in self._repos.values() if not r.record.get("private") or self._valid_token(req.token)
        ]
        if (search := last("search")) is not None:
            needle = search.lower()
            repos = [r for r in repos if needle in r.id.lower()]
        if (author := last("author")) is not None:
            repos = [r for r in repos if str(r.record.get("author") or "").lower() == author.lower()]
        for value in params.get("filter", []):
            for part in (p for p in value.split(",") if p):
                repos = [r for r in repos if self._matches_filter(r, part)]
        if (pipeline_tag := last("pipeline_tag")) is not None:
            repos = [r for r in repos if r.record.get("pipeline_tag") == pipeline_tag]
        if (gated := last("gated")) is not None:
            want = _truthy(gated)
            repos = [r for r in repos if bool(r.record.get("gated")) == want]
        if (num_parameters := last("num_parameters")) is not None:
            low, high = self._parse_num_parameters(num_parameters)
            repos = [r for r in repos if self._in_range(self._param_count(r), low, high)]
        apps = [a for v in params.get("apps", []) for a in v.split(",") if a]
        for app in apps:
            repos = [r for r in repos if self._supports_app(r, app)]
        if (sort := last("sort")) is not None:
            if sort not in SORT_KEYS:
                raise _error(400, f'"sort" must be one of [{", ".join(sorted(set(SORT_KEYS.values())))}]')
            key = SORT_KEYS[sort]
            ascending = last("direction") == "1"
            if ascending:
                repos.sort(key=lambda r: (r.record.get(key) is None, r.record.get(key)))
            else:
                repos.sort(key=lambda r: (r.record.get(key) is not None, r.record.get(key)), reverse=True)

        limit_text = last("limit")
        per_page = self.page_size
        if limit_text is not None:
            try:
                limit = int(limit_text)
            except ValueError:
                raise _error(400, '"limit" must be a number') from None
            if limit < 1:
                raise _error(400, '"limit" must be greater than or equal to 1')
            per_page = min(per_page, limit)
        offset = self._cursor_offset(last("cursor"))

        expand = self._expand_param(params)
        full = _truthy(last("full") or "false")
        want_card = _truthy(last("cardData") or "false")
        want_config = _truthy(last("config") or "false")
        if expand and (full or want_card or want_config):
            raise _error(400, "The 'expand' parameter cannot be used with 'full', 'cardData' or 'config'")

        page = repos[offset : offset + per_page]
        items = []
        for repo in page:
            if expand:
                items.append(self._expanded(repo, expand))
                continue
            item = self._with_ids(repo)
            keys = list(LIST_DEFAULT_KEYS) + (list(LIST_FULL_KEYS) if full else [])
            keys += ["cardData"] if want_card else []
            keys += ["config"] if want_config else []
            for key in keys:
                present, value = self._property(repo, key)
                if present:
                    item[key] = value
            item["modelId"] = repo.id
            items.append(item)
        headers = []
        if offset + per_page < len(repos):
            headers.append(("Link", f'<{self._next_url(req, offset + per_page)}>; rel="next"'))
        return _json_response(200, items, headers)

    def _tree(self, req: _Req, repo: _Repo, revision: str, path: str) -> HubResponse:
        self._check_revision(repo, revision)
        self._check_gate(repo, req.token)
        base = path.strip("/")
        if base and base not in repo.dirs:
            raise _error(404, "Entry not found", "EntryNotFound", X_Repo_Commit=repo.sha)
        recursive = _truthy(req.last("recursive") or "false")
        expand = _truthy(req.last("expand") or "false")
        prefix = base + "/" if base else ""

        def wanted(p: str) -> bool:
            if not p.startswith(prefix) or p == base:
                return False
            return recursive or "/" not in p[len(prefix) :]

        entries: list[dict[str, Any]] = []
        for d in sorted(d for d in repo.dirs if wanted(d)):
            entry: dict[str, Any] = {
                "type": "directory",
                "oid": _fake_hex("tree", repo.id, d),
                "size": 0,
                "path": d,
            }
            if expand:
                entry["lastCommit"] = self._last_commit(repo)
            entries.append(entry)
        for name in sorted(n for n in repo.files if wanted(n)):
            f = repo.files[name]
            entry = {"type": "file", "oid": f.oid, "size": f.size, "path": name}
            if f.is_lfs:
                entry["lfs"] = {"oid": f.lfs_sha256, "size": f.size, "pointerSize": f.pointer_size}
            if expand:
                entry["lastCommit"] = self._last_commit(repo)
                entry["securityFileStatus"] = {
                    "status": "safe",
                    "avScan": {"virusFound": False, "virusNames": None},
                    "pickleImportScan": None,
                }
            entries.append(entry)
        entries.sort(key=lambda e: e["path"])
        per_page = min(self.tree_page_size, 50) if expand else self.tree_page_size
        offset = self._cursor_offset(req.last("cursor"))
        headers = []
        if offset + per_page < len(entries):
            headers.append(("Link", f'<{self._next_url(req, offset + per_page)}>; rel="next"'))
        return _json_response(200, entries[offset : offset + per_page], headers)

    def _last_commit(self, repo: _Repo) -> dict[str, Any]:
        date = repo.record.get("lastModified") or repo.record.get("createdAt") or "2024-01-01T00:00:00.000Z"
        return {"id": repo.sha, "title": "Upload folder using huggingface_hub", "date": date}

    def _resolve(self, req: _Req, repo: _Repo, revision: str, filename: str) -> HubResponse:
        self._check_revision(repo, revision)
        self._check_gate(repo, req.token, filename)
        f = repo.files.get(filename)
        if f is None or (f.content is None and filename in ("README.md", "config.json")):
            # README.md without a card, config.json without config_json: the Hub has no such file.
            raise _error(404, "Entry not found", "EntryNotFound", X_Repo_Commit=repo.sha)
        common = [("X-Repo-Commit", repo.sha), ("Accept-Ranges", "bytes")]
        if f.is_lfs and self.lfs_redirect:
            location = f"http://{self.cdn_host}:{self.port}/__cdn/{_b64([repo.id, filename])}"
            body = f"Found. Redirecting to {location}".encode()
            return HubResponse(
                302,
                body,
                [
                    *common,
                    ("Location", location),
                    ("ETag", f'"{f.oid}"'),
                    ("X-Linked-Etag", f'"{f.lfs_sha256}"'),
                    ("X-Linked-Size", str(f.size)),
                ],
                "text/plain; charset=utf-8",
            )
        etag = f.lfs_sha256 if f.is_lfs else f.oid
        extra = [("X-Linked-Etag", f'"{etag}"'), ("X-Linked-Size", str(f.size))] if f.is_lfs else []
        return self._serve_file(req, repo, f, [*common, ("ETag", f'"{etag}"'), *extra])

    def _cdn(self, req: _Req, key: str) -> HubResponse:
        try:
            repo_id, filename = _unb64(key)
            f = self._repos[repo_id].files[filename]
        except (ValueError, KeyError, TypeError):
            raise HubResponse(404, b"<Error><Code>NoSuchKey</Code></Error>", [], "application/xml") from None
        return self._serve_file(req, self._repos[repo_id], f, [("ETag", f'"{f.lfs_sha256 or f.oid}"')])

    def _serve_file(self, req: _Req, repo: _Repo, f: _File, headers: list[tuple[str, str]]) -> HubResponse:
        headers = [
            *headers,
            ("Content-Disposition", f'inline; filename="{f.name.rsplit("/", 1)[-1]}"'),
        ]
        handler_range = req.range
        start, end = 0, f.size  # end exclusive
        status = 200
        if handler_range is not None:
            match = _RANGE_RE.match(handler_range)
            if match is None or (not match.group(1) and not match.group(2)):
                raise HubResponse(416, b"", [("Content-Range", f"bytes */{f.size}")])
            first, second = match.group(1), match.group(2)
            if first:
                start = int(first)
                end = min(int(second) + 1, f.size) if second else f.size
            else:
                start = max(f.size - int(second), 0)
            if start >= f.size or start >= end:
                raise HubResponse(416, b"", [("Content-Range", f"bytes */{f.size}")])
            status = 206
            headers.append(("Content-Range", f"bytes {start}-{end - 1}/{f.size}"))
        length = end - start
        content_type = "application/octet-stream" if f.is_lfs else "text/plain; charset=utf-8"
        if req.method == "HEAD":
            return HubResponse(status, b"", [*headers, ("Content-Length", str(length))], content_type)
        if length > MAX_SERVED_SIZE:
            raise _error(404, f"fakehub does not serve bodies over {MAX_SERVED_SIZE} bytes ({f.name})")
        return HubResponse(status, self._body(repo, f, start, end), headers, content_type)

    @staticmethod
    def _body(repo: _Repo, f: _File, start: int, end: int) -> bytes:
        if f.content is not None:
            return f.content[start:end]
        pattern = hashlib.sha256(f"{repo.id}/{f.name}".encode()).digest()
        first_block = start // len(pattern)
        blocks = math.ceil(end / len(pattern)) - first_block
        data = pattern * blocks
        offset = start - first_block * len(pattern)
        return data[offset : offset + (end - start)]

    # ------------------------------------------------------------------ list helpers

    @staticmethod
    def _matches_filter(repo: _Repo, value: str) -> bool:
        record = repo.record
        wanted = value.lower()
        tags = {str(t).lower() for t in record.get("tags") or []}
        return wanted in tags or wanted in {
            str(record.get("library_name") or "").lower(),
            str(record.get("pipeline_tag") or "").lower(),
        }

    @staticmethod
    def _parse_num_parameters(text: str) -> tuple[float, float]:
        low, high = 0.0, math.inf
        for part in text.split(","):
            match = _NUM_PARAMS_RE.match(part)
            if match is None:
                raise _error(400, f'Invalid "num_parameters": {text!r} (expected e.g. "min:6B,max:15B")')
            value = float(match.group(2)) * _UNITS[match.group(3).upper()]
            if match.group(1).lower() == "min":
                low = value
            else:
                high = value
        return low, high

    @staticmethod
    def _param_count(repo: _Repo) -> int | None:
        for key in ("safetensors", "gguf"):
            info = repo.record.get(key)
            if isinstance(info, dict) and isinstance(info.get("total"), int | float):
                return int(info["total"])
        return None

    @staticmethod
    def _in_range(count: int | None, low: float, high: float) -> bool:
        return count is not None and low <= count <= high

    @staticmethod
    def _supports_app(repo: _Repo, app: str) -> bool:
        record = repo.record
        tags = {str(t).lower() for t in record.get("tags") or []}
        if app in GGUF_APPS:
            return bool(record.get("gguf")) or "gguf" in tags
        if app in SERVING_APPS:
            return (
                bool(record.get("safetensors"))
                and record.get("pipeline_tag") in SERVING_TASKS
                and record.get("library_name") != "mlx"
            )
        if app in MLX_APPS:
            return record.get("library_name") == "mlx" or "mlx" in tags
        raise _error(400, f'Invalid "apps" value: {app!r}')

    @staticmethod
    def _cursor_offset(cursor: str | None) -> int:
        if not cursor:
            return 0
        try:
            offset = int(_unb64(cursor)["offset"])
        except (ValueError, KeyError, TypeError):
            raise _error(400, "Invalid cursor") from None
        return max(offset, 0)

    def _next_url(self, req: _Req, offset: int) -> str:
        pairs = [(k, v) for k, v in req.pairs if k != "cursor"] + [("cursor", _b64({"offset": offset}))]
        return f"{self.url}{req.raw_path}?{urlencode(pairs)}"


# ---------------------------------------------------------------------- a small built-in catalogue


def write_sample_data(
    directory: str | Path, models: Iterable[Mapping[str, Any]], cards: Mapping[str, str]
) -> Path:
    """Write models/cards in the sample_data layout that `FakeHub.from_sample_data` reads."""
    directory = Path(directory)
    (directory / "cards").mkdir(parents=True, exist_ok=True)
    with (directory / "catalog.jsonl").open("w", encoding="utf-8") as fh:
        for record in models:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    for repo_id, text in cards.items():
        (directory / "cards" / (repo_id.replace("/", "__") + ".md")).write_text(text, encoding="utf-8")
    return directory


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    plain = (
        text
        and text == text.strip()
        and not any(c in text for c in ":#{}[],&*!|>'\"%@`")
        and text.lower() not in {"true", "false", "yes", "no", "on", "off", "null", "~"}
        and not re.fullmatch(r"[-+]?[0-9._]+(e[-+]?[0-9]+)?", text, re.IGNORECASE)
    )
    return text if plain else json.dumps(text)


def _card_text(repo_id: str, card_data: Mapping[str, Any], body: str) -> str:
    lines = ["---"]
    for key, value in card_data.items():
        if isinstance(value, list):
            lines.append(f"{key}:")
            lines.extend(f"- {_yaml_scalar(item)}" for item in value)
        else:
            lines.append(f"{key}: {_yaml_scalar(value)}")
    lines.append("---")
    lines.append("")
    lines.append(f"# {repo_id.split('/')[-1]}")
    lines.append("")
    lines.append(body)
    return "\n".join(lines) + "\n"


def _sibling(repo_id: str, name: str, size: int, lfs: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"rfilename": name, "size": size, "blobId": _fake_hex("blob", repo_id, name)}
    if lfs:
        entry["lfs"] = {"size": size, "sha256": _fake_hex("lfs", repo_id, name, n=64), "pointerSize": 135}
    return entry


def _model(
    repo_id: str,
    *,
    params: int,
    license: str | None,
    downloads: int,
    likes: int,
    trending: int,
    created: str,
    modified: str,
    files: list[tuple[str, int, bool]],
    arch: str | None = None,
    model_type: str | None = None,
    config_extra: Mapping[str, Any] | None = None,
    gated: bool | str = False,
    private: bool = False,
    library: str | None = "transformers",
    task: str | None = "text-generation",
    dtype: str = "BF16",
    gguf: Mapping[str, Any] | None = None,
    base_model: str | None = None,
    extra_tags: Iterable[str] = (),
    languages: Iterable[str] = ("en",),
) -> dict[str, Any]:
    languages = list(languages)
    tags: list[str] = []
    if library:
        tags.append(library)
    if gguf is not None:
        tags.append("gguf")
    elif any(name.endswith(".safetensors") for name, _, _ in files):
        tags.append("safetensors")
    if model_type:
        tags.append(model_type)
    if task:
        tags.append(task)
    tags += list(extra_tags) + languages
    if base_model:
        tags += [f"base_model:{base_model}", f"base_model:{'quantized' if gguf else 'finetune'}:{base_model}"]
    if license:
        tags.append(f"license:{license}")
    tags += ["endpoints_compatible", "region:us"]

    card_data: dict[str, Any] = {}
    if languages:
        card_data["language"] = languages
    if license:
        card_data["license"] = license
    if library:
        card_data["library_name"] = library
    if task:
        card_data["pipeline_tag"] = task
    if base_model:
        card_data["base_model"] = base_model
    card_data["tags"] = [t for t in extra_tags]

    config_json: dict[str, Any] | None = None
    if arch and model_type:
        config_json = {"architectures": [arch], "model_type": model_type, "torch_dtype": "bfloat16"}
        config_json.update(config_extra or {})
    siblings = [_sibling(repo_id, name, size, lfs) for name, size, lfs in files]
    record: dict[str, Any] = {
        "_id": _fake_hex("_id", repo_id, n=24),
        "id": repo_id,
        "author": repo_id.split("/")[0],
        "sha": _fake_hex("sha", repo_id),
        "createdAt": created,
        "lastModified": modified,
        "private": private,
        "disabled": False,
        "gated": gated,
        "downloads": downloads,
        "likes": likes,
        "trendingScore": trending,
        "tags": tags,
        "cardData": card_data,
        "siblings": siblings,
        "usedStorage": sum(size for _, size, _ in files),
        "config_json": config_json,
    }
    if library:
        record["library_name"] = library
    if task:
        record["pipeline_tag"] = task
    if config_json is not None:
        record["config"] = {"architectures": [arch], "model_type": model_type}
    if library == "transformers" and task == "text-generation":
        record["transformersInfo"] = {
            "auto_model": "AutoModelForCausalLM",
            "pipeline_tag": "text-generation",
            "processor": "AutoTokenizer",
        }
    if gguf is not None:
        record["gguf"] = dict(gguf)
    else:
        record["safetensors"] = {"parameters": {dtype: params}, "total": params}
    return record


def _hf_files(
    shards: list[int], *, tokenizer_size: int = 7031645, extra: Iterable[tuple[str, int, bool]] = ()
):
    files: list[tuple[str, int, bool]] = [(".gitattributes", 1519, False), ("README.md", 0, False)]
    files += [("config.json", 0, False), ("generation_config.json", 242, False)]
    if len(shards) == 1:
        files.append(("model.safetensors", shards[0], True))
    else:
        n = len(shards)
        files += [(f"model-{i:05d}-of-{n:05d}.safetensors", size, True) for i, size in enumerate(shards, 1)]
        files.append(("model.safetensors.index.json", 27752, False))
    files += [
        ("tokenizer.json", tokenizer_size, tokenizer_size > 10_000_000),
        ("tokenizer_config.json", 7305, False),
    ]
    files += list(extra)
    return files


def builtin_catalog() -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Fourteen models in the sample_data shape (records + cards): a gated Llama, a GGUF repo with several
    quants, a model without a licence, one without a card, a private one and a tiny one whose weights are
    small enough to download. Deterministic: every call returns equal data."""
    gguf_files = [(".gitattributes", 2410, False), ("README.md", 0, False)]
    gguf_files += [
        (f"Qwen2.5-7B-Instruct-{quant}.gguf", size, True)
        for quant, size in (
            ("IQ2_M", 2781712288), ("Q2_K", 3015940128), ("Q4_K_M", 4683073952),
            ("Q5_K_M", 5444831136), ("Q6_K", 6254199200), ("Q8_0", 8098525600),
        )
    ]  # fmt: skip
    gguf_files.append(("Qwen2.5-7B-Instruct.imatrix", 4536640, True))
    qwen_cfg = {"hidden_size": 3584, "num_hidden_layers": 28, "num_attention_heads": 28,
                "num_key_value_heads": 4, "max_position_embeddings": 32768, "vocab_size": 152064,
                "rope_theta": 1000000.0, "sliding_window": 131072}  # fmt: skip
    models = [
        _model(
            "meta-llama/Llama-3.1-8B-Instruct",
            params=8030261248,
            license="llama3.1",
            gated="manual",
            downloads=5120931,
            likes=4321,
            trending=61,
            created="2024-07-18T08:56:00.000Z",
            modified="2024-09-25T17:00:57.000Z",
            arch="LlamaForCausalLM",
            model_type="llama",
            config_extra={
                "hidden_size": 4096,
                "num_hidden_layers": 32,
                "num_attention_heads": 32,
                "num_key_value_heads": 8,
                "max_position_embeddings": 131072,
                "vocab_size": 128256,
            },
            files=_hf_files(
                [4976698672, 4999802720, 4915916176, 1168138808],
                tokenizer_size=9085657,
                extra=[
                    ("LICENSE", 7627, False),
                    ("USE_POLICY.md", 4691, False),
                    ("original/consolidated.00.pth", 16060617592, True),
                    ("original/params.json", 199, False),
                    ("original/tokenizer.model", 2183982, True),
                ],
            ),
            extra_tags=["facebook", "meta", "llama-3", "conversational"],
            languages=["en", "de", "fr"],
            base_model="meta-llama/Llama-3.1-8B",
        ),
        _model(
            "Qwen/Qwen2.5-7B-Instruct",
            params=7615616512,
            license="apache-2.0",
            downloads=2460011,
            likes=812,
            trending=33,
            created="2024-09-16T11:55:40.000Z",
            modified="2025-01-12T02:10:10.000Z",
            arch="Qwen2ForCausalLM",
            model_type="qwen2",
            config_extra=qwen_cfg,
            files=_hf_files([3945441440, 3864726320, 3864726424, 3556377672]),
            extra_tags=["chat", "conversational"],
            base_model="Qwen/Qwen2.5-7B",
        ),
        _model(
            "Qwen/Qwen2.5-0.5B-Instruct",
            params=494032768,
            license="apache-2.0",
            downloads=1830422,
            likes=301,
            trending=12,
            created="2024-09-16T11:52:37.000Z",
            modified="2024-09-25T12:32:56.000Z",
            arch="Qwen2ForCausalLM",
            model_type="qwen2",
            config_extra={**qwen_cfg, "hidden_size": 896},
            files=_hf_files([988097824]),
            extra_tags=["chat", "conversational"],
            base_model="Qwen/Qwen2.5-0.5B",
        ),
        _model(
            "mistralai/Mistral-7B-Instruct-v0.3",
            params=7248023552,
            license="apache-2.0",
            gated="auto",
            downloads=1012345,
            likes=1620,
            trending=9,
            created="2024-05-22T09:57:04.000Z",
            modified="2024-08-21T12:18:25.000Z",
            arch="MistralForCausalLM",
            model_type="mistral",
            config_extra={"hidden_size": 4096, "num_hidden_layers": 32, "max_position_embeddings": 32768},
            files=_hf_files([4949453792, 5000005920, 4546807800], tokenizer_size=3672017),
            extra_tags=["conversational"],
            base_model="mistralai/Mistral-7B-v0.3",
        ),
        _model(
            "google/gemma-2-9b-it",
            params=9241705984,
            license="gemma",
            gated="manual",
            downloads=402222,
            likes=688,
            trending=5,
            created="2024-06-24T08:05:41.000Z",
            modified="2024-08-27T19:41:49.000Z",
            arch="Gemma2ForCausalLM",
            model_type="gemma2",
            config_extra={"hidden_size": 3584, "num_hidden_layers": 42, "max_position_embeddings": 8192},
            files=_hf_files([4903351912, 4947570872, 4962221464, 3670322200], tokenizer_size=17525357),
            extra_tags=["conversational"],
            base_model="google/gemma-2-9b",
        ),
        _model(
            "microsoft/Phi-3.5-mini-instruct",
            params=3821079552,
            license="mit",
            downloads=330104,
            likes=845,
            trending=4,
            created="2024-08-16T20:48:26.000Z",
            modified="2025-03-02T22:27:58.000Z",
            arch="Phi3ForCausalLM",
            model_type="phi3",
            config_extra={"hidden_size": 3072, "num_hidden_layers": 32, "max_position_embeddings": 131072},
            files=_hf_files([4972489328, 2669692552], tokenizer_size=1844409),
            extra_tags=["nlp", "code", "conversational"],
            languages=["multilingual"],
        ),
        _model(
            "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B",
            params=14770033664,
            license="mit",
            downloads=620700,
            likes=540,
            trending=27,
            created="2025-01-20T09:18:27.000Z",
            modified="2025-02-24T03:31:45.000Z",
            arch="Qwen2ForCausalLM",
            model_type="qwen2",
            config_extra={**qwen_cfg, "hidden_size": 5120},
            files=_hf_files([8707358136, 8684561184, 8749587720, 3397453960]),
            extra_tags=["conversational"],
            languages=[],
            base_model="deepseek-ai/DeepSeek-R1",
        ),
        _model(
            "allenai/OLMo-2-1124-13B-Instruct",
            params=13716198400,
            license="apache-2.0",
            downloads=15020,
            likes=41,
            trending=2,
            created="2024-11-25T20:53:05.000Z",
            modified="2025-01-06T19:54:17.000Z",
            arch="Olmo2ForCausalLM",
            model_type="olmo2",
            config_extra={"hidden_size": 5120, "num_hidden_layers": 40, "max_position_embeddings": 4096},
            files=_hf_files([4991617640, 4966470080, 4966470136, 4966470136, 4966470136, 3581321688]),
            extra_tags=["conversational"],
            base_model="allenai/OLMo-2-1124-13B-DPO",
        ),
        _model(
            "bartowski/Qwen2.5-7B-Instruct-GGUF",
            params=7615616512,
            license="apache-2.0",
            library=None,
            downloads=88210,
            likes=63,
            trending=3,
            created="2024-09-18T18:45:13.000Z",
            modified="2024-09-19T12:05:21.000Z",
            files=gguf_files,
            gguf={
                "total": 7615616512,
                "architecture": "qwen2",
                "context_length": 32768,
                "chat_template": "{% for message in messages %}{{ message['content'] }}{% endfor %}",
                "bos_token": "<|endoftext|>",
                "eos_token": "<|im_end|>",
            },
            extra_tags=["chat", "imatrix", "conversational"],
            base_model="Qwen/Qwen2.5-7B-Instruct",
        ),
        _model(
            "mlx-community/Qwen2.5-7B-Instruct-4bit",
            params=1190603264,
            license="apache-2.0",
            library="mlx",
            downloads=20188,
            likes=14,
            trending=1,
            created="2024-09-18T19:06:42.000Z",
            modified="2024-09-18T19:13:12.000Z",
            arch="Qwen2ForCausalLM",
            model_type="qwen2",
            config_extra={**qwen_cfg, "quantization": {"group_size": 64, "bits": 4}},
            files=_hf_files([4284470592], tokenizer_size=7031645),
            dtype="U32",
            extra_tags=["chat", "conversational"],
            base_model="Qwen/Qwen2.5-7B-Instruct",
        ),
        _model(
            "mergekit-fan/untitled-7b-merge",
            params=7241732096,
            license=None,
            downloads=310,
            likes=2,
            trending=0,
            created="2024-03-02T10:00:00.000Z",
            modified="2024-03-03T10:00:00.000Z",
            arch="MistralForCausalLM",
            model_type="mistral",
            files=_hf_files([9942981696, 4540516344]),
            extra_tags=["mergekit", "merge"],
        ),
        _model(
            "plain-org/no-card-2b",
            params=2506172416,
            license=None,
            downloads=55,
            likes=0,
            trending=0,
            created="2024-02-01T00:00:00.000Z",
            modified="2024-02-01T00:00:00.000Z",
            arch="GemmaForCausalLM",
            model_type="gemma",
            files=[f for f in _hf_files([5012345678]) if f[0] != "README.md"],
            languages=[],
        ),
        _model(
            "fakehub-org/tiny-random-llama",
            params=16448,
            license="apache-2.0",
            downloads=7,
            likes=1,
            trending=0,
            created="2024-01-10T00:00:00.000Z",
            modified="2024-01-11T00:00:00.000Z",
            arch="LlamaForCausalLM",
            model_type="llama",
            dtype="F32",
            config_extra={"hidden_size": 16, "num_hidden_layers": 2, "vocab_size": 512},
            files=_hf_files([65792], tokenizer_size=3420),
        ),
        _model(
            "acme-corp/private-llm",
            params=1100048384,
            license="apache-2.0",
            private=True,
            downloads=0,
            likes=0,
            trending=0,
            created="2024-06-01T00:00:00.000Z",
            modified="2024-06-02T00:00:00.000Z",
            arch="LlamaForCausalLM",
            model_type="llama",
            files=_hf_files([2200119864]),
        ),
    ]
    cards: dict[str, str] = {}
    for record in models:
        if record["id"] == "plain-org/no-card-2b":
            continue
        body = "A model in the fakehub catalogue, for tests.\n\n## Usage\n\nSee the original model card."
        cards[record["id"]] = _card_text(record["id"], record["cardData"], body)
    # Make the listed README.md / config.json sizes and oids those of the content the hub serves.
    for record in models:
        contents = {"README.md": cards.get(record["id"], "").encode("utf-8")}
        if record["config_json"] is not None:
            contents["config.json"] = FakeHub._config_bytes(record["config_json"])
        for sibling in record["siblings"]:
            content = contents.get(sibling["rfilename"])
            if content is not None:
                sibling["size"], sibling["blobId"] = len(content), _git_blob_oid(content)
        record["usedStorage"] = sum(s["size"] for s in record["siblings"])
    return models, cards
