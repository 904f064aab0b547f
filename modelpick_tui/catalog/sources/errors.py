"""What a source raises: one line the user can act on, and whether the cache should take over. Its own module so
that the screens can catch it without loading huggingface_hub."""

from __future__ import annotations

__all__ = ["HubError"]


class HubError(Exception):
    """A Hub failure the user can act on. `kind` lets callers choose offline fallback."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        # offline | unreachable | timeout | unavailable | rate_limited | gated | not_found | disk | cancelled | error
        self.kind = kind
        self.filename: str | None = None  # the file a download failed on, where several were asked for

    @property
    def offline_like(self) -> bool:
        """True when the cache should take over (no network, Hub down or slow)."""
        return self.kind in {"offline", "unreachable", "timeout", "unavailable"}
