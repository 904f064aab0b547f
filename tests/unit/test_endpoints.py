"""endpoints.py: the one URL normaliser (what backends' remote check and the supervisor's add-remote used to
apply, and what resolving a bare URL used to apply), the client's /v1 join, and resolving a URL."""

from __future__ import annotations

import pytest

from modelpick_tui.serving.backends import check_remote
from modelpick_tui.serving.endpoints import api_root, normalise_base_url, resolve
from modelpick_tui.serving.registry import Server
from modelpick_tui.serving.spec import ServingError


@pytest.mark.parametrize(("text", "base"), [
    # the rules both copies had: trailing slashes, the /v1 prefix added once
    ("http://h:8000", "http://h:8000/v1"),
    ("http://h:8000/", "http://h:8000/v1"),
    ("http://h:8000/v1", "http://h:8000/v1"),
    ("http://h:8000/v1/", "http://h:8000/v1"),
    ("  http://h:8000/v1  ", "http://h:8000/v1"),
    ("https://api.example.com/v1", "https://api.example.com/v1"),
    ("https://api.example.com/openai", "https://api.example.com/openai/v1"),
    # backends' rule: no scheme means http
    ("h:8000", "http://h:8000/v1"),
    ("127.0.0.1:8080/v1/", "http://127.0.0.1:8080/v1"),
    # endpoints' rule: a pasted request URL is cut back to its base
    ("http://h:8000/v1/chat/completions", "http://h:8000/v1"),
    ("http://h:8000/v1/chat/completions/", "http://h:8000/v1"),
    ("http://h:8000/v1/completions", "http://h:8000/v1"),
    ("http://h:8000/v1/models", "http://h:8000/v1"),
    ("h:8000/v1/models", "http://h:8000/v1"),
    ("HTTPS://H:1/v1", "HTTPS://H:1/v1"),
])
def test_normalise_base_url(text: str, base: str) -> None:
    assert normalise_base_url(text) == base


@pytest.mark.parametrize(("text", "error"), [
    ("ftp://h:8000", "not an http(s) URL: 'ftp://h:8000'"),
    ("file:///tmp/x", "not an http(s) URL: 'file:///tmp/x'"),
    ("http://", "not an http(s) URL: 'http://'"),
    ("", "not an http(s) URL: ''"),
    ("   ", "not an http(s) URL: ''"),
    ("http://:8000/v1", "not an http(s) URL: 'http://:8000/v1'"),
    ("http://h:port/v1", "bad port in URL: 'http://h:port/v1'"),
    ("h:99999", "bad port in URL: 'h:99999'"),
])
def test_normalise_base_url_refuses_with_one_line(text: str, error: str) -> None:
    with pytest.raises(ServingError) as info:
        normalise_base_url(text)
    assert str(info.value) == error


def test_api_root() -> None:
    assert [api_root(u) for u in ("http://h:1", "http://h:1/", "http://h:1/v1", "http://h:1/v1/")] == \
        ["http://h:1/v1"] * 4
    # The client's join takes the base as given: a URL without a scheme is left for httpx to refuse.
    assert api_root("localhost:8000") == "localhost:8000/v1"


def test_check_remote_says_what_is_wrong_with_the_url() -> None:
    # The remote check returns one line, never raises, even for a URL that is no URL.
    assert check_remote("ftp://h:8000", "m") == "not an http(s) URL: 'ftp://h:8000'"


class _NoServers:
    def servers(self) -> list[Server]:
        return []

    def get(self, name: str) -> Server:
        raise ServingError(f"no server or endpoint named {name!r}")

    def reattach(self) -> list[Server]:
        return []


def test_resolve_a_url() -> None:
    endpoint = resolve(_NoServers(), "http://10.0.0.5:8000/v1/chat/completions", model="m", api_key="k")
    assert (endpoint.name, endpoint.base_url, endpoint.model, endpoint.api_key) == \
        ("10.0.0.5:8000", "http://10.0.0.5:8000/v1", "m", "k")
    with pytest.raises(ServingError, match="give the model name too"):
        resolve(_NoServers(), "http://10.0.0.5:8000")
    with pytest.raises(ServingError, match="no server or endpoint named 'gone'"):
        resolve(_NoServers(), "gone")
