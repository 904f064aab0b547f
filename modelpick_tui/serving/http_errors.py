"""One clear line for what went wrong between modelpick and a model's server: an HTTP error status (with the
server's own message, across the shapes servers use) or a transport failure (refused, timed out, bad URL)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from ..untrusted import one_line

__all__ = ["http_error", "server_message", "transport_error"]


def server_message(body: Any) -> str | None:
    """The human message in an error body, across the shapes servers use: OpenAI/vLLM `{"error": {"message"}}`,
    `{"error": "..."}`, older vLLM `{"object": "error", "message"}`, FastAPI `{"detail": ...}`."""
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    if isinstance(error, str) and error:
        return error
    if body.get("message"):
        return str(body["message"])
    detail = body.get("detail")
    if isinstance(detail, str) and detail:
        return detail
    if isinstance(detail, list) and detail:  # FastAPI validation errors
        return "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail)
    return None


def http_error(status: int, reason: str, body: bytes) -> str:
    """'HTTP 400 Bad Request: <the server's message>' from a status and the (capped) body that came with it."""
    head = f"HTTP {status} {reason}".rstrip()
    text = body.decode("utf-8", "replace")
    try:
        message = server_message(json.loads(text))
    except (ValueError, RecursionError):
        message = text
    if not message or not message.strip() or message.strip() == reason:
        return head
    return f"{head}: {one_line(message)}"


def transport_error(exc: httpx.TransportError, url: str, connect_s: float, read_s: float) -> str:
    """One line for a transport failure talking to `url`, naming the limit (connect or read) it ran into."""
    if isinstance(exc, httpx.ConnectTimeout):
        return f"cannot connect to {url}: no answer in {connect_s:g} s"
    if isinstance(exc, httpx.ConnectError):
        reason = str(exc) or type(exc).__name__
        if "refused" in reason.lower() or "all connection attempts failed" in reason.lower():
            reason = "connection refused (is the server running?)"
        return f"cannot connect to {url}: {one_line(reason)}"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"invalid endpoint URL {url!r}: {one_line(str(exc))}"
    if isinstance(exc, httpx.PoolTimeout):
        return f"no free connection in {connect_s:g} s"
    if isinstance(exc, httpx.WriteTimeout):
        return f"could not send the request in {connect_s:g} s"
    if isinstance(exc, httpx.TimeoutException):
        return f"no data for {read_s:g} s"
    return f"{type(exc).__name__}: {one_line(str(exc) or 'transport error')}"
