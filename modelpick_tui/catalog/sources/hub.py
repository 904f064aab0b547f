"""Every call to the Hugging Face Hub, always through huggingface_hub. Nothing else talks to the Hub.

Failures become a `HubError` with one clear line for the user; nothing here prints a traceback.

Longer than ~400 lines on purpose: the calls, their deadlines, the watch on huggingface_hub's retries and the
resumable, cancellable download all lean on huggingface_hub's internals; kept together, one module knows them.
"""

from __future__ import annotations

import functools
import logging
import os
import queue
import re
import shutil
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..query import ListParams
from .errors import HubError

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

T = TypeVar("T")

# What a sync asks the Hub for: every fact the catalogue keeps, in one listing request per page.
SYNC_EXPAND = [
    "author", "cardData", "config", "createdAt", "downloads", "gated", "gguf", "lastModified",
    "library_name", "likes", "pipeline_tag", "safetensors", "sha", "siblings", "tags", "trendingScore",
]  # fmt: skip


OFFLINE_MESSAGE = "offline mode (HF_HUB_OFFLINE=1): working from the local cache"


def _status_error(status: int, what: str | None, retry_after: str | None = None) -> HubError:
    """The line for an HTTP status the Hub answered with (after huggingface_hub's own retries)."""
    if status == 429:
        hint = f"; try again in {retry_after} s" if retry_after and retry_after.strip("0 ") else "; try again later"
        return HubError("rate_limited", f"rate limited by the Hub (HTTP 429){hint}")
    if status in (401, 403):
        subject = what or "the Hub"
        return HubError("gated", f"{subject}: not authorised (HTTP {status}); check HF_TOKEN")
    if status >= 500:
        return HubError("unavailable", f"the Hub is unavailable (HTTP {status}): using the local cache")
    return HubError("error", f"the Hub answered HTTP {status} for {what or 'the request'}")


def _is_connect_error(exc: BaseException) -> bool:
    # By name: huggingface_hub ships its own copy of httpx ("httpx2"), and may change it again.
    return any(cls.__name__ == "ConnectError" for cls in type(exc).__mro__)


def _unreachable(exc: BaseException) -> HubError:
    reason = re.sub(r"^\[Errno -?\d+\]\s*", "", str(exc).splitlines()[0] if str(exc) else "").strip()
    detail = f" ({reason.lower()})" if reason else ""
    return HubError("unreachable", f"the Hub is unreachable{detail}: using the local cache")


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
        return HubError("offline", OFFLINE_MESSAGE)
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
        # hf_hub_download raises this when the Hub could not be asked and the file is not cached; the
        # reason it could not ask (a 503, a timeout, a refused connection) is the chained exception.
        cause = exc.__cause__ or exc.__context__
        if cause is not None and cause is not exc:
            return explain(cause, repo_id)
        return HubError("unreachable", f"the Hub is unreachable and {what} is not in the local cache")
    if isinstance(exc, HfHubHTTPError):
        response = exc.response
        if response is None:
            return HubError("error", f"Hub request failed: {str(exc).splitlines()[0] if str(exc) else ''}")
        return _status_error(response.status_code, repo_id, response.headers.get("Retry-After"))
    if _is_connect_error(exc):
        return _unreachable(exc)
    name = type(exc).__name__
    if "Timeout" in name:
        return HubError("timeout", "the Hub did not answer in time: using the local cache")
    if isinstance(exc, ConnectionError | OSError) or "Connect" in name or "Network" in name:
        return _unreachable(exc)
    return HubError("error", f"Hub request failed: {name}: {str(exc).splitlines()[0] if str(exc) else ''}")


# --- huggingface_hub's retries ----------------------------------------------------------------
#
# huggingface_hub retries 5xx, 429 and network errors with backoff for ~25 s (five tries), and logs each
# try as a warning on stderr. For a person at a terminal that is wrong three ways: the warnings print
# under the TUI and add lines to the CLI's one-line errors; a refused connection (no network, a closed
# port) will not heal in 25 s; and a call we stopped waiting for keeps retrying in the background, where
# each connection error closes the session shared by every other call. Its retry loop logs before each
# sleep, so a logging filter is the one place that sees every try: it notes why the call is retrying
# (for the line we show when the deadline runs out), keeps the warnings off the terminal, and stops
# the call (by raising out of the log call) when the connection is refused or nobody waits any more.

_RETRY_STATUS = re.compile(r"HTTP Error (\d{3}) thrown while requesting")
_WATCHED_LOGGERS = ("huggingface_hub.utils._http", "huggingface_hub.file_download")


class _Call:
    """One Hub call on a worker thread, as the retry watch sees it."""

    def __init__(self) -> None:
        self.status: int | None = None  # the last HTTP status huggingface_hub retried on
        self.abandoned = False  # the caller's deadline ran out: stop at the next retry

    def deadline_error(self, deadline: float) -> HubError:
        if self.status is not None and (self.status == 429 or self.status >= 500):
            err = _status_error(self.status, None)
            return HubError(err.kind, f"{err} (still failing after {deadline:g} s of retries)")
        return HubError("timeout", f"the Hub did not answer within {deadline:g} s: using the local cache")


class _RetryWatch(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self._calls: dict[int, _Call] = {}

    @contextmanager
    def watching(self, call: _Call) -> Iterator[None]:
        ident = threading.get_ident()
        self._calls[ident] = call
        try:
            yield
        finally:
            self._calls.pop(ident, None)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        retry_chatter = record.name.endswith("._http") or message.startswith("Error while downloading from")
        call = self._calls.get(record.thread) if record.thread is not None else None
        if call is not None and retry_chatter:
            match = _RETRY_STATUS.search(message)
            if match:
                call.status = int(match.group(1))
            # The warning is logged inside huggingface_hub's `except` clause: the error being retried
            # is the exception in flight on this thread.
            in_flight = sys.exc_info()[1]
            if call.abandoned:
                raise HubError("timeout", "the Hub did not answer in time: using the local cache")
            if in_flight is not None and _is_connect_error(in_flight):
                raise _unreachable(in_flight)
        return not retry_chatter or record.levelno >= logging.ERROR


_WATCH = _RetryWatch()
_WATCH_LOCK = threading.Lock()
_watch_installed = False


def _install_watch() -> None:
    global _watch_installed
    with _WATCH_LOCK:
        if _watch_installed:
            return
        for name in _WATCHED_LOGGERS:
            logger = logging.getLogger(name)  # the same object huggingface_hub gets, whenever it is imported
            # A quieter HF_HUB_VERBOSITY must not hide the retries from the watch (it drops them itself).
            if logger.level == logging.NOTSET:
                logger.setLevel(logging.WARNING)
            logger.addFilter(_WATCH)
        _watch_installed = True


@functools.cache
def _silent_tqdm() -> type:
    """huggingface_hub's progress bar class, always disabled: its bars would print under the TUI."""
    from huggingface_hub.utils import tqdm as hf_tqdm

    class SilentTqdm(hf_tqdm):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)

    return SilentTqdm


class _Cancelled(Exception):
    """Raised inside huggingface_hub's download loop to stop it; never leaves this module."""


def _progress_tqdm(progress: Callable[[int, int | None], None] | None,
                   cancel: threading.Event | None = None) -> type:
    """huggingface_hub's progress bar class, silent, reporting (bytes done, total) to `progress` and stopping
    the download at its next chunk once `cancel` is set. huggingface_hub counts a chunk before it writes it,
    so the partial file holds whole chunks only; it stays `.incomplete` and the next call resumes it."""
    from huggingface_hub.utils import tqdm as hf_tqdm

    class ProgressTqdm(hf_tqdm):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._done = int(kwargs.get("initial") or 0)
            self._total = kwargs.get("total")
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            if progress is not None:
                progress(self._done, self._total)

        def update(self, n: float | None = 1) -> bool | None:
            if cancel is not None and cancel.is_set():
                raise _Cancelled()
            self._done += int(n or 0)
            if progress is not None:
                progress(self._done, self._total)
            return super().update(n)

    return ProgressTqdm


def _existing_parent(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path.cwd()


def stored_token() -> str | None:
    """The token in huggingface_hub's own store (`hf auth login`), or None. Settings only read HF_TOKEN from the
    environment: asking the store imports huggingface_hub, which belongs here."""
    try:
        from huggingface_hub import get_token

        return get_token()
    except Exception:  # a broken token file must not stop the catalogue
        return None


class HubClient:
    """One client object over `huggingface_hub.HfApi`, configured from settings (endpoint, token,
    offline). Each call is bounded by a deadline: huggingface_hub retries 5xx and network errors
    with backoff for up to ~25 s, which a person at a terminal should not have to sit through."""

    def __init__(
        self,
        endpoint: str,
        token: str | None | Callable[[], str | None],
        offline: bool = False,
        timeout: float = 10.0,
        deadline: float = 30.0,
        cache_dir: Path | None = None,
    ):
        from ..hf_cache import hf_hub_cache_dir

        self.endpoint = endpoint.rstrip("/")
        self.offline = offline
        self.timeout = timeout
        self.deadline = deadline
        # Resolved now, not by huggingface_hub: it reads HF_HUB_CACHE / HF_HOME once, when first imported.
        self.cache_dir = cache_dir or hf_hub_cache_dir()
        # A callable is asked on first use (reading huggingface_hub's token store imports the library).
        self._token_source = token
        self._token_value: str | bool | None = None
        self._api_obj: Any = None
        _install_watch()
        # The calls' threads, made on the first call (the browse table's first page makes none).
        self._pool_obj: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._closed = False

    @property
    def _pool(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._closed:
                raise RuntimeError("the Hub client is closed")
            if self._pool_obj is None:
                from concurrent.futures import ThreadPoolExecutor

                self._pool_obj = ThreadPoolExecutor(max_workers=4, thread_name_prefix="hub")
            return self._pool_obj

    def __repr__(self) -> str:
        token = "set" if self._token_value else ("none" if self._token_value is False else "unread")
        return f"HubClient(endpoint={self.endpoint!r}, offline={self.offline}, token={token})"

    @property
    def _token(self) -> str | bool:
        if self._token_value is None:
            source = self._token_source
            value = source() if callable(source) else source
            self._token_value = value or False  # False: never let huggingface_hub pick a token itself
        return self._token_value

    @property
    def has_token(self) -> bool:
        return bool(self._token)

    @property
    def _api(self) -> Any:
        # Built on first use: importing huggingface_hub costs a noticeable part of a cold start.
        if self._api_obj is None:
            from huggingface_hub import HfApi

            self._api_obj = HfApi(endpoint=self.endpoint, token=self._token)
        return self._api_obj

    def _check_online(self) -> None:
        if self.offline:
            raise HubError("offline", OFFLINE_MESSAGE)

    def _bounded(self, fn: Callable[[], T], repo_id: str | None = None) -> T:
        self._check_online()
        call = _Call()

        def run() -> T:
            with _WATCH.watching(call):
                return fn()

        future = self._pool.submit(run)
        try:
            return future.result(timeout=self.deadline)
        except FutureTimeout:
            call.abandoned = True
            future.cancel()
            raise call.deadline_error(self.deadline) from None
        except Exception as exc:  # mapped to one line; the original stays as __cause__
            raise explain(exc, repo_id) from exc

    def list_models(self, params: ListParams) -> Iterator[Any]:
        """Yield `ModelInfo`s page by page (the client follows the Link header)."""
        self._check_online()
        api = self._api
        items: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1000)
        stop = threading.Event()
        call = _Call()

        def put(item: tuple[str, Any]) -> bool:
            while not stop.is_set():
                try:
                    items.put(item, timeout=0.2)
                    return True
                except queue.Full:
                    continue
            return False

        def produce() -> None:
            with _WATCH.watching(call):
                try:
                    for info in api.list_models(
                        search=params.search or None,
                        pipeline_tag=params.task or None,
                        author=params.author or None,
                        filter=list(params.filters) or None,
                        num_parameters=params.num_parameters,
                        gated=params.gated,
                        sort=params.sort,
                        limit=params.limit,
                        expand=SYNC_EXPAND,
                    ):
                        if not put(("item", info)):
                            return
                    put(("done", None))
                except BaseException as exc:  # handed to the consumer thread
                    put(("error", exc))

        threading.Thread(target=produce, name="hub-list", daemon=True).start()
        try:
            while True:
                try:
                    kind, value = items.get(timeout=self.deadline)
                except queue.Empty:
                    call.abandoned = True
                    raise call.deadline_error(self.deadline) from None
                if kind == "done":
                    return
                if kind == "error":
                    raise explain(value) from value
                yield value
        finally:
            stop.set()
            call.abandoned = True  # a consumer that stopped early leaves nobody to retry for

    def model_info(self, repo_id: str) -> Any:
        """Full info with per-file sizes (`files_metadata=True`)."""
        return self._bounded(
            lambda: self._api.model_info(repo_id, files_metadata=True, timeout=self.timeout), repo_id
        )

    def download_text(self, repo_id: str, filename: str, revision: str | None = None) -> str | None:
        """A small text file of a repo (README.md, config.json); None when the repo has no such file."""
        from huggingface_hub.errors import RemoteEntryNotFoundError

        def fetch() -> str | None:
            try:
                path = self._hf_download(repo_id, filename, revision, _silent_tqdm())
            except RemoteEntryNotFoundError:
                return None
            return Path(str(path)).read_text(encoding="utf-8", errors="replace")

        return self._bounded(fetch, repo_id)

    def _hf_download(self, repo_id: str, filename: str, revision: str | None, tqdm_class: Any) -> str:
        """hf_hub_download with this client's endpoint, token, cache and timeout."""
        from huggingface_hub import hf_hub_download

        return str(hf_hub_download(
            repo_id,
            filename,
            revision=revision,
            endpoint=self.endpoint,
            token=self._token,
            cache_dir=self.cache_dir,
            etag_timeout=self.timeout,
            tqdm_class=tqdm_class,
        ))

    def repo_files(self, repo_id: str) -> dict[str, int | None]:
        """The repository's files and their sizes (from `model_info(files_metadata=True)`)."""
        info = self.model_info(repo_id)
        return {str(s.rfilename): getattr(s, "size", None) for s in (getattr(info, "siblings", None) or [])}

    def cached_file(self, repo_id: str, filename: str, revision: str | None = None) -> Path | None:
        """The file's path in the Hugging Face cache when it is there in full (no network), else None."""
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(repo_id, filename, cache_dir=self.cache_dir, revision=revision)
        if isinstance(found, str) and Path(found).is_file():
            return Path(found)
        return None

    def download_file(self, repo_id: str, filename: str, *, size: int | None = None,
                      progress: Callable[[int, int | None], None] | None = None,
                      revision: str | None = None, cancel: threading.Event | None = None) -> Path:
        """Download one file of a repo into the Hugging Face cache and return its path.

        The size (when known) is checked against the free disk space first (what an earlier, stopped
        download left in `.incomplete` counts as written). There is no deadline (a large file takes as long
        as it takes); huggingface_hub resumes the partial file on the next call. `progress(done, total)` sees
        the bytes. Without `cancel` this runs in the calling thread and Ctrl-C stops it; with `cancel` it
        runs in a thread of its own and setting the event raises HubError("cancelled") at once, even while
        the Hub sends nothing (the download itself stops at its next chunk)."""
        self._check_online()
        if size:
            where = _existing_parent(self.cache_dir)
            free = shutil.disk_usage(where).free
            need = max(0, size - self._partial_bytes(repo_id))
            if need > free:
                raise HubError("disk", f"{filename} needs {need / 2**30:.2f} GiB but only {free / 2**30:.2f} GiB "
                                       f"is free in {where}: free some space or set HF_HUB_CACHE")
        call = _Call()
        tqdm_class = _progress_tqdm(progress, cancel) if progress or cancel else _silent_tqdm()

        def fetch() -> Path:
            with _WATCH.watching(call):
                try:
                    self._resumable_download(repo_id, filename, revision, tqdm_class)
                    # The blob is there: huggingface_hub links it into the snapshot (and fetches it itself
                    # where the resumable path stood aside).
                    return Path(self._hf_download(repo_id, filename, revision, tqdm_class))
                except HubError:
                    raise
                except _Cancelled:
                    raise self._cancelled(filename) from None
                except Exception as exc:  # mapped to one line; KeyboardInterrupt passes through
                    raise explain(exc, repo_id) from exc

        if cancel is None:
            return fetch()
        if cancel.is_set():
            raise self._cancelled(filename)
        outcome: dict[str, Any] = {}
        done = threading.Event()

        def run() -> None:
            try:
                outcome["path"] = fetch()
            except BaseException as exc:  # handed to the waiting thread
                outcome["error"] = exc
            finally:
                done.set()

        threading.Thread(target=run, name="hub-download", daemon=True).start()
        while not done.wait(0.1):
            if cancel.is_set():
                call.abandoned = True  # huggingface_hub's retries stop too
                raise self._cancelled(filename)
        if "error" in outcome:
            raise outcome["error"]
        return outcome["path"]  # type: ignore[no-any-return]

    def _resumable_download(self, repo_id: str, filename: str, revision: str | None, tqdm_class: Any) -> None:
        """Fetch the file's blob into the cache through `blobs/<etag>.incomplete`, resuming what an earlier,
        stopped download left there (HTTP Range). huggingface_hub >= 1.0 downloads into a file unique to each
        call and deletes it when the call fails, so a stopped 10 GB download would start again from zero.
        The cache layout, lock and HTTP loop are huggingface_hub's own; where its internals are not what this
        expects, this stands aside and hf_hub_download does the whole download."""
        try:
            from huggingface_hub import get_hf_file_metadata, hf_hub_url
            from huggingface_hub.file_download import http_get, repo_folder_name
            from huggingface_hub.utils import WeakFileLock, build_hf_headers
        except ImportError:
            return
        url = hf_hub_url(repo_id, filename, revision=revision, endpoint=self.endpoint)
        meta = get_hf_file_metadata(url, token=self._token, timeout=self.timeout, endpoint=self.endpoint)
        etag, location, size = (getattr(meta, k, None) for k in ("etag", "location", "size"))
        if not isinstance(etag, str) or not etag or "/" in etag or not isinstance(location, str):
            return
        folder = repo_folder_name(repo_id=repo_id, repo_type="model")
        blob = self.cache_dir / folder / "blobs" / etag
        if blob.exists():
            return
        lock = self.cache_dir / ".locks" / folder / f"{etag}.lock"
        lock.parent.mkdir(parents=True, exist_ok=True)
        blob.parent.mkdir(parents=True, exist_ok=True)
        partial = blob.with_name(f"{etag}.incomplete")
        with WeakFileLock(str(lock)):
            if blob.exists():
                return
            fd = os.open(partial, os.O_RDWR | os.O_CREAT, 0o644)
            with os.fdopen(fd, "r+b") as f:
                resume = f.seek(0, os.SEEK_END)
                if isinstance(size, int) and resume > size:  # not this file's bytes: start again
                    f.truncate(0)
                    resume = f.seek(0)
                http_get(location, f, resume_size=resume, headers=build_hf_headers(token=self._token),
                         expected_size=size if isinstance(size, int) else None, displayed_filename=filename,
                         tqdm_class=tqdm_class)
            os.replace(partial, blob)

    @staticmethod
    def _cancelled(filename: str) -> HubError:
        return HubError("cancelled", f"download of {filename} cancelled: what arrived is kept, and the next "
                                     "download resumes from there")

    def _partial_bytes(self, repo_id: str) -> int:
        """Bytes of the repo's unfinished downloads in the cache (`blobs/*.incomplete`)."""
        blobs = self.cache_dir / ("models--" + repo_id.replace("/", "--")) / "blobs"
        try:
            return sum(p.stat().st_size for p in blobs.glob("*.incomplete"))
        except OSError:
            return 0

    def fetch_card(self, repo_id: str, revision: str | None = None) -> str | None:
        return self.download_text(repo_id, "README.md", revision)

    def fetch_config(self, repo_id: str, revision: str | None = None) -> dict[str, Any] | None:
        import json

        text = self.download_text(repo_id, "config.json", revision)
        if not text:
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, dict) else None

    def close(self) -> None:
        with self._pool_lock:
            pool, self._pool_obj, self._closed = self._pool_obj, None, True
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
