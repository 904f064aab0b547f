"""One JSON request to a catalogue source that is not the Hugging Face Hub (ModelScope, OpenRouter), over httpx:
bounded in time (a deadline for the whole answer, not only each read) and size, every failure one `HubError` line
in the Hub's words, so that the service treats them alike (offline-like ones: the cache takes over)."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from .errors import HubError

MAX_BYTES = 50_000_000  # OpenRouter's whole list is ~1.5 MB; a page of ModelScope's, ~100 kB


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return re.sub(r"^\[Errno -?\d+\]\s*", "", text).strip().lower()


def status_error(source: str, status: int, what: str, retry_after: str | None = None,
                 auth_hint: str = "") -> HubError:
    """The line for an HTTP status a source answered with."""
    if status == 429:
        hint = f"; try again in {retry_after} s" if retry_after and retry_after.strip("0 ") else "; try again later"
        return HubError("rate_limited", f"rate limited by {source} (HTTP 429){hint}")
    if status in (401, 403):
        return HubError("gated", f"{source}: not authorised (HTTP {status}) for {what}{auth_hint}")
    if status >= 500:
        return HubError("unavailable", f"{source} is unavailable (HTTP {status}): using the local cache")
    if status == 404:
        return HubError("not_found", f"{what} was not found on {source}")
    return HubError("error", f"{source} answered HTTP {status} for {what}")


def request_text(source: str, method: str, url: str, *, what: str, body: Any = None,
                 headers: dict[str, str] | None = None, timeout: float = 10.0, deadline: float = 30.0,
                 connect_timeout: float = 5.0, auth_hint: str = "", missing_ok: bool = False) -> str | None:
    """The body of one request as text; None for a 404 when `missing_ok`. Raises HubError (one line); a connection
    refused or not made within `connect_timeout` is kind "unreachable"."""
    import httpx

    limit = time.monotonic() + deadline
    sent = {"Accept": "application/json", **(headers or {})}
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, connect_timeout))) as http, http.stream(
                method, url, json=body, headers=sent) as resp:
            raw = bytearray()
            for chunk in resp.iter_bytes():
                raw += chunk
                if len(raw) > MAX_BYTES:
                    raise HubError("error", f"{source}: the answer for {what} is over {MAX_BYTES // 1_000_000} MB")
                if time.monotonic() > limit:
                    raise HubError("timeout", f"{source} did not finish answering within {deadline:g} s: "
                                              "using the local cache")
    except httpx.ConnectTimeout:
        raise HubError("unreachable", f"{source} is unreachable (no connection within {connect_timeout:g} s): "
                                      "using the local cache") from None
    except httpx.TimeoutException:
        raise HubError("timeout", f"{source} did not answer within {timeout:g} s: using the local cache") from None
    except httpx.ConnectError as exc:
        raise HubError("unreachable", f"{source} is unreachable ({_reason(exc)}): using the local cache") from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise HubError("unreachable", f"{source}: {type(exc).__name__} ({_reason(exc)}): using the local cache"
                       ) from None
    if resp.status_code == 404 and missing_ok:
        return None
    if resp.status_code != 200:
        raise status_error(source, resp.status_code, what, resp.headers.get("Retry-After"), auth_hint)
    return bytes(raw).decode("utf-8", errors="replace")


def request_json(source: str, method: str, url: str, *, what: str, **options: Any) -> Any:
    """request_text parsed as JSON; an answer that is not JSON is one line too."""
    text = request_text(source, method, url, what=what, **options)
    try:
        return json.loads(text or "")
    except (ValueError, RecursionError):
        raise HubError("error", f"{source} answered {what} with something that is not JSON") from None
