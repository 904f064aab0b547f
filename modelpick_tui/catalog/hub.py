"""Every call to the Hugging Face Hub, always through huggingface_hub. Nothing else talks to the Hub.

Failures become a `HubError` with one clear line for the user; nothing here prints a traceback.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# What a sync asks the Hub for: every fact the catalogue keeps, in one listing request per page.
SYNC_EXPAND = [
    "author", "cardData", "config", "createdAt", "downloads", "gated", "gguf", "lastModified",
    "library_name", "likes", "pipeline_tag", "safetensors", "sha", "siblings", "tags", "trendingScore",
]  # fmt: skip


class HubError(Exception):
    """A Hub failure the user can act on. `kind` lets callers choose offline fallback."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind  # offline | unreachable | timeout | unavailable | rate_limited | gated | not_found | error

    @property
    def offline_like(self) -> bool:
        """True when the cache should take over (no network, Hub down or slow)."""
        return self.kind in {"offline", "unreachable", "timeout", "unavailable"}


def explain(exc: BaseException, repo_id: str | None = None) -> HubError:
    """Map a huggingface_hub / transport exception to one clear line."""
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RemoteEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    what = repo_id or "the request"
    if isinstance(exc, HubError):
        return exc
    if isinstance(exc, OfflineModeIsEnabled):
        return HubError("offline", "offline mode (HF_HUB_OFFLINE=1): working from the local cache")
    if isinstance(exc, GatedRepoError):
        return HubError(
            "gated",
            f"{what} is gated: accept its licence on the Hub, then set HF_TOKEN (or run `hf auth login`)",
        )
    if isinstance(exc, RepositoryNotFoundError):
        return HubError("not_found", f"{what} was not found on the Hub (or it is private: set HF_TOKEN)")
    if isinstance(exc, RevisionNotFoundError):
        return HubError("not_found", f"{what}: revision not found on the Hub")
    if isinstance(exc, RemoteEntryNotFoundError):
        return HubError("not_found", f"{what}: file not found in the repository")
    if isinstance(exc, LocalEntryNotFoundError):
        return HubError("unreachable", f"the Hub is unreachable and {what} is not in the local cache")
    if isinstance(exc, HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else None
        if status == 429:
            retry = exc.response.headers.get("Retry-After") if exc.response is not None else None
            hint = f"; try again in {retry} s" if retry else "; try again later"
            return HubError("rate_limited", f"rate limited by the Hub (HTTP 429){hint}")
        if status in (401, 403):
            return HubError("gated", f"{what}: not authorised (HTTP {status}); check HF_TOKEN")
        if status is not None and status >= 500:
            return HubError("unavailable", f"the Hub is unavailable (HTTP {status}): using the local cache")
        return HubError("error", f"the Hub answered HTTP {status} for {what}")
    name = type(exc).__name__
    if "Timeout" in name:
        return HubError("timeout", "the Hub did not answer in time: using the local cache")
    if isinstance(exc, ConnectionError | OSError) or "Connect" in name or "Network" in name:
        return HubError("unreachable", "the Hub is unreachable: using the local cache")
    return HubError("error", f"Hub request failed: {name}: {str(exc).splitlines()[0] if str(exc) else ''}")


@dataclass(frozen=True)
class ListParams:
    search: str | None = None
    task: str | None = None
    author: str | None = None
    filters: tuple[str, ...] = ()
    num_parameters: str | None = None
    gated: bool | None = None
    sort: str = "downloads"
    limit: int | None = 500


class HubClient:
    """One client object over `huggingface_hub.HfApi`, configured from settings (endpoint, token,
    offline). Each call is bounded by a deadline: huggingface_hub retries 5xx and network errors
    with backoff for up to ~25 s, which a person at a terminal should not have to sit through."""

    def __init__(
        self,
        endpoint: str,
        token: str | None,
        offline: bool = False,
        timeout: float = 10.0,
        deadline: float = 30.0,
        cache_dir: Path | None = None,
    ):
        from huggingface_hub import HfApi

        self.endpoint = endpoint
        self.offline = offline
        self.timeout = timeout
        self.deadline = deadline
        self.cache_dir = cache_dir
        self._token: str | bool = token or False
        self._api = HfApi(endpoint=endpoint, token=self._token)
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="hub")

    @property
    def has_token(self) -> bool:
        return bool(self._token)

    def _check_online(self) -> None:
        if self.offline:
            raise HubError("offline", "offline mode (HF_HUB_OFFLINE=1): working from the local cache")

    def _bounded(self, fn: Callable[[], T], repo_id: str | None = None) -> T:
        self._check_online()
        future = self._pool.submit(fn)
        try:
            return future.result(timeout=self.deadline)
        except FutureTimeout:
            future.cancel()
            raise HubError("timeout", "the Hub did not answer in time: using the local cache") from None
        except Exception as exc:  # mapped to one line; the original stays as __cause__
            raise explain(exc, repo_id) from exc

    def list_models(self, params: ListParams) -> Iterator[Any]:
        """Yield `ModelInfo`s page by page (the client follows the Link header)."""
        self._check_online()
        items: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1000)
        stop = threading.Event()

        def produce() -> None:
            try:
                for info in self._api.list_models(
                    search=params.search or None,
                    pipeline_tag=params.task or None,
                    author=params.author or None,
                    filter=list(params.filters) or None,
                    num_parameters=params.num_parameters,
                    gated=params.gated,
                    sort=params.sort,  # type: ignore[arg-type]
                    limit=params.limit,
                    expand=SYNC_EXPAND,  # type: ignore[arg-type]
                ):
                    if stop.is_set():
                        return
                    items.put(("item", info))
                items.put(("done", None))
            except BaseException as exc:  # handed to the consumer thread
                items.put(("error", exc))

        threading.Thread(target=produce, name="hub-list", daemon=True).start()
        try:
            while True:
                try:
                    kind, value = items.get(timeout=self.deadline)
                except queue.Empty:
                    raise HubError("timeout", "the Hub did not answer in time: using the local cache") from None
                if kind == "done":
                    return
                if kind == "error":
                    raise explain(value) from value
                yield value
        finally:
            stop.set()

    def model_info(self, repo_id: str) -> Any:
        """Full info with per-file sizes (`files_metadata=True`)."""
        return self._bounded(
            lambda: self._api.model_info(repo_id, files_metadata=True, timeout=self.timeout), repo_id
        )

    def download_text(self, repo_id: str, filename: str, revision: str | None = None) -> str | None:
        """A small text file of a repo (README.md, config.json); None when the repo has no such file."""
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import RemoteEntryNotFoundError

        def fetch() -> str | None:
            try:
                path = hf_hub_download(
                    repo_id,
                    filename,
                    revision=revision,
                    endpoint=self.endpoint,
                    token=self._token,
                    cache_dir=self.cache_dir,
                    etag_timeout=self.timeout,
                )
            except RemoteEntryNotFoundError:
                return None
            return Path(path).read_text(encoding="utf-8", errors="replace")

        return self._bounded(fetch, repo_id)

    def fetch_card(self, repo_id: str, revision: str | None = None) -> str | None:
        return self.download_text(repo_id, "README.md", revision)

    def fetch_config(self, repo_id: str, revision: str | None = None) -> dict[str, Any] | None:
        text = self.download_text(repo_id, "config.json", revision)
        if not text:
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, dict) else None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
