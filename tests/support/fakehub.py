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

The HTTP side (recording, failure injection, stopping) is hub_http.py's; the repositories and the JSON shaped
from them, hub_records.py's; a catalogue to serve, hub_catalog.py's; sample_data on disk, hub_sample.py's.
"""


from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode

from . import hub_records as records
from .hub_http import FakeHttpServer, HubResponse, RecordedRequest, Request, b64, error, json_response, truthy, unb64
from .hub_records import HubFile, HubRepo
from .hub_sample import read_sample_data

__all__ = ["DEFAULT_TOKEN", "MAX_SERVED_SIZE", "FakeHub", "RecordedRequest"]

DEFAULT_TOKEN = "hf_fakehub_test_token"
MAX_SERVED_SIZE = 1024 * 1024  # bodies are only served for files (or ranges) up to 1 MiB
_RANGE_RE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


class FakeHub(FakeHttpServer):
    """A fake Hugging Face Hub over HTTP on 127.0.0.1 (a random port), run in a background thread.

    Constructor: `FakeHub(models, cards, *, page_size=50, tree_page_size=1000, tokens=(DEFAULT_TOKEN,),
    files=None, cdn_host="localhost")`. `files` maps (repo_id, filename) -> bytes to serve real content for
    a file (it is added to the repo if the record does not list it).

    Behaviour injection (plain attributes, settable while the server runs; failures, stalls and `tokens`
    as FakeHttpServer says):
      gated: set[str]            repo ids that answer 401 GatedRepo (model_info, tree, resolve) without a
                                 token from `tokens`. Independently, records whose "gated" is truthy have
                                 their files (not README.md/.gitattributes) gated like on the real Hub,
                                 unless `enforce_gated_files` is False.
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
        super().__init__(tokens)
        self.cdn_host = cdn_host
        self.gated: set[str] = set()
        self.enforce_gated_files = True
        self.lfs_redirect = True
        self._repos: dict[str, HubRepo] = {}
        extra = dict(files or {})
        for record in models:
            repo = records.build_repo(record, self.cards.get(str(record["id"])), extra)
            if repo.id in self._repos:
                raise ValueError(f"duplicate model id {repo.id!r}")
            self._repos[repo.id] = repo
        unknown = {repo_id for repo_id, _ in extra} - set(self._repos)
        if unknown:
            raise ValueError(f"files given for unknown repos: {sorted(unknown)}")

    @classmethod
    def from_sample_data(cls, directory: str | Path, **kwargs: Any) -> FakeHub:
        """Load `<dir>/catalog.jsonl` (one record a line) and `<dir>/cards/*.md` (owner__name.md)."""
        models, cards = read_sample_data(directory)
        return cls(models, cards, **kwargs)

    @property
    def models(self) -> list[dict[str, Any]]:
        """Copies of the records as given (with defaults filled in), in catalogue order."""
        return [copy.deepcopy(repo.record) for repo in self._repos.values()]

    # ------------------------------------------------------------------ routing

    def _route(self, req: Request) -> HubResponse:
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
            raise error(404, "Not Found")
        if len(segments) >= 2 and segments[0] == "__cdn":
            return self._cdn(req, segments[1])
        if "resolve" in segments[1:3]:
            i = segments.index("resolve", 1)
            repo, rest = self._split_repo(segments[:i], req.token)
            if rest or len(segments) < i + 3:
                raise error(404, "Not Found")
            return self._resolve(req, repo, segments[i + 1], "/".join(segments[i + 2 :]))
        raise error(404, "Not Found")

    def _split_repo(self, segments: list[str], token: str | None) -> tuple[HubRepo, list[str]]:
        """Find the repo id at the start of the path segments (ids have one or two parts)."""
        for n in (2, 1):
            repo = self._repos.get("/".join(segments[:n])) if len(segments) >= n else None
            if repo is not None:
                if repo.record.get("private") and not self._valid_token(token):
                    # What the Hub answers an anonymous caller for a private repo.
                    raise error(401, "Repository not found", "RepoNotFound")
                return repo, segments[n:]
        raise error(404, "Repository not found", "RepoNotFound")

    def _valid_token(self, token: str | None) -> bool:
        return token is not None and token in self.tokens

    def _check_revision(self, repo: HubRepo, revision: str | None) -> None:
        if revision is not None and revision not in ("main", repo.sha):
            raise error(404, f"Invalid rev id: {revision}", "RevisionNotFound")

    def _check_gate(self, repo: HubRepo, token: str | None, filename: str | None = None) -> None:
        gated = repo.id in self.gated or (
            filename is not None
            and self.enforce_gated_files
            and bool(repo.record.get("gated"))
            and filename not in records.PUBLIC_GATED_FILES
        )
        if not gated or self._valid_token(token):
            return
        if token is None:
            raise error(
                401,
                f"Access to model {repo.id} is restricted. You must have access to it and be authenticated to"
                " access it. Please log in.",
                "GatedRepo",
            )
        raise error(
            403,
            f"Access to model {repo.id} is restricted and you are not in the authorized list. Visit"
            f" https://huggingface.co/{repo.id} to ask for access.",
            "GatedRepo",
        )

    # ------------------------------------------------------------------ payloads

    # ------------------------------------------------------------------ routes

    def _model_info(self, req: Request, repo: HubRepo, revision: str | None) -> HubResponse:
        self._check_revision(repo, revision)
        self._check_gate(repo, req.token)
        expand = records.expand_param(req.params)
        blobs = truthy(req.last("blobs", "false") or "false")
        if expand and blobs:
            raise error(400, "The 'expand' parameter cannot be used with 'blobs' or 'securityStatus'")
        payload = records.expanded(repo, expand) if expand else records.full_info(repo, blobs)
        return json_response(200, payload)

    def _list_models(self, req: Request) -> HubResponse:
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
                repos = [r for r in repos if records.matches_filter(r, part)]
        if (pipeline_tag := last("pipeline_tag")) is not None:
            repos = [r for r in repos if r.record.get("pipeline_tag") == pipeline_tag]
        if (gated := last("gated")) is not None:
            want = truthy(gated)
            repos = [r for r in repos if bool(r.record.get("gated")) == want]
        if (num_parameters := last("num_parameters")) is not None:
            low, high = records.parse_num_parameters(num_parameters)
            repos = [r for r in repos if records.in_range(records.param_count(r), low, high)]
        apps = [a for v in params.get("apps", []) for a in v.split(",") if a]
        for app in apps:
            repos = [r for r in repos if records.supports_app(r, app)]
        if (sort := last("sort")) is not None:
            if sort not in records.SORT_KEYS:
                raise error(400, f'"sort" must be one of [{", ".join(sorted(set(records.SORT_KEYS.values())))}]')
            key = records.SORT_KEYS[sort]
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
                raise error(400, '"limit" must be a number') from None
            if limit < 1:
                raise error(400, '"limit" must be greater than or equal to 1')
            per_page = min(per_page, limit)
        offset = self._cursor_offset(last("cursor"))

        expand = records.expand_param(params)
        full = truthy(last("full") or "false")
        want_card = truthy(last("cardData") or "false")
        want_config = truthy(last("config") or "false")
        if expand and (full or want_card or want_config):
            raise error(400, "The 'expand' parameter cannot be used with 'full', 'cardData' or 'config'")

        page = repos[offset : offset + per_page]
        items = []
        for repo in page:
            if expand:
                items.append(records.expanded(repo, expand))
                continue
            item = records.with_ids(repo)
            keys = list(records.LIST_DEFAULT_KEYS) + (list(records.LIST_FULL_KEYS) if full else [])
            keys += ["cardData"] if want_card else []
            keys += ["config"] if want_config else []
            for key in keys:
                present, value = records.property_of(repo, key)
                if present:
                    item[key] = value
            item["modelId"] = repo.id
            items.append(item)
        headers = []
        if offset + per_page < len(repos):
            headers.append(("Link", f'<{self._next_url(req, offset + per_page)}>; rel="next"'))
        return json_response(200, items, headers)

    def _tree(self, req: Request, repo: HubRepo, revision: str, path: str) -> HubResponse:
        self._check_revision(repo, revision)
        self._check_gate(repo, req.token)
        base = path.strip("/")
        if base and base not in repo.dirs:
            raise error(404, "Entry not found", "EntryNotFound", XHubRepo_Commit=repo.sha)
        recursive = truthy(req.last("recursive") or "false")
        expand = truthy(req.last("expand") or "false")
        prefix = base + "/" if base else ""

        def wanted(p: str) -> bool:
            if not p.startswith(prefix) or p == base:
                return False
            return recursive or "/" not in p[len(prefix) :]

        entries: list[dict[str, Any]] = []
        for d in sorted(d for d in repo.dirs if wanted(d)):
            entry: dict[str, Any] = {
                "type": "directory",
                "oid": records.fake_hex("tree", repo.id, d),
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
        return json_response(200, entries[offset : offset + per_page], headers)

    def _last_commit(self, repo: HubRepo) -> dict[str, Any]:
        date = repo.record.get("lastModified") or repo.record.get("createdAt") or "2024-01-01T00:00:00.000Z"
        return {"id": repo.sha, "title": "Upload folder using huggingface_hub", "date": date}

    def _resolve(self, req: Request, repo: HubRepo, revision: str, filename: str) -> HubResponse:
        self._check_revision(repo, revision)
        self._check_gate(repo, req.token, filename)
        f = repo.files.get(filename)
        if f is None or (f.content is None and filename in ("README.md", "config.json")):
            # README.md without a card, config.json without config_json: the Hub has no such file.
            raise error(404, "Entry not found", "EntryNotFound", XHubRepo_Commit=repo.sha)
        common = [("X-Repo-Commit", repo.sha), ("Accept-Ranges", "bytes")]
        if f.is_lfs and self.lfs_redirect:
            location = f"http://{self.cdn_host}:{self.port}/__cdn/{b64([repo.id, filename])}"
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

    def _cdn(self, req: Request, key: str) -> HubResponse:
        try:
            repo_id, filename = unb64(key)
            f = self._repos[repo_id].files[filename]
        except (ValueError, KeyError, TypeError):
            raise HubResponse(404, b"<Error><Code>NoSuchKey</Code></Error>", [], "application/xml") from None
        return self._serve_file(req, self._repos[repo_id], f, [("ETag", f'"{f.lfs_sha256 or f.oid}"')])

    def _serve_file(self, req: Request, repo: HubRepo, f: HubFile, headers: list[tuple[str, str]]) -> HubResponse:
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
            raise error(404, f"fakehub does not serve bodies over {MAX_SERVED_SIZE} bytes ({f.name})")
        return HubResponse(status, records.file_body(repo, f, start, end), headers, content_type)

    @staticmethod

    @staticmethod
    def _cursor_offset(cursor: str | None) -> int:
        if not cursor:
            return 0
        try:
            offset = int(unb64(cursor)["offset"])
        except (ValueError, KeyError, TypeError):
            raise error(400, "Invalid cursor") from None
        return max(offset, 0)

    def _next_url(self, req: Request, offset: int) -> str:
        pairs = [(k, v) for k, v in req.pairs if k != "cursor"] + [("cursor", b64({"offset": offset}))]
        return f"{self.url}{req.raw_path}?{urlencode(pairs)}"

