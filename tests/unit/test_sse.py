"""The SSE decoder the stream reader cuts network chunks with: line ends of every kind, wherever the chunks
split them, comments and multi-line data, and the cap on one line."""

from __future__ import annotations

import pytest

from modelpick_tui.serving.sse import Event, LineTooLong, SSEDecoder

STREAM = (b"event: ping\r\ndata: 1\r\n\r\n: a comment\n\ndata: a\ndata:b\n\n"
          b"data: {\"x\": 1}\r\rdata: last\r\n\r\n")
EVENTS = [Event("ping", "1"), Event("message", "a\nb"), Event("message", '{"x": 1}'), Event("message", "last")]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, len(STREAM)])
def test_events_whatever_the_chunks(size: int) -> None:
    decoder = SSEDecoder(max_line=100)
    events = [e for i in range(0, len(STREAM), size) for e in decoder.feed(STREAM[i:i + size])]
    assert events == EVENTS
    assert decoder.pending == 0 and decoder.lines == STREAM.replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n")


def test_a_line_over_the_cap_is_refused_before_it_ends() -> None:
    decoder = SSEDecoder(max_line=10)
    assert decoder.feed(b"data: 1234") == []
    with pytest.raises(LineTooLong):
        decoder.feed(b"5")
    with pytest.raises(LineTooLong):
        SSEDecoder(max_line=10).feed(b"data: 12345678\n")


def test_bytes_that_are_not_utf8_raise() -> None:
    with pytest.raises(UnicodeDecodeError):
        SSEDecoder(max_line=100).feed(b"data: \xff\n\n")


LF_STREAM = (b'data: {"a": 1}\n\n: keep-alive\n\nevent: ping\ndata: x\n\ndata: one\ndata: two\n\n'
             b'data:no space\n\ndata: caf\xc3\xa9\n\n')
LF_EVENTS = [Event("message", '{"a": 1}'), Event("ping", "x"), Event("message", "one\ntwo"),
             Event("message", "no space"), Event("message", "café")]


@pytest.mark.parametrize("size", [1, 2, 3, 4, 9, 16, len(LF_STREAM)])
def test_lf_only_streams_whatever_the_chunks(size: int) -> None:
    # LF-only chunks take the split-at-once path (the servers' own line ends); the events are the same, a
    # multi-byte character cut by a chunk included.
    decoder = SSEDecoder(max_line=100)
    events = [e for i in range(0, len(LF_STREAM), size) for e in decoder.feed(LF_STREAM[i:i + size])]
    assert events == LF_EVENTS
    assert decoder.pending == 0 and decoder.lines == LF_STREAM.count(b"\n")


def test_a_cr_after_lf_only_chunks_still_ends_a_line() -> None:
    decoder = SSEDecoder(max_line=100)
    assert decoder.feed(b"data: a\n") == [] and decoder.feed(b"\r") == [Event("message", "a")]
    assert decoder.feed(b"\ndata: b\n\n") == [Event("message", "b")]  # the LF of the CRLF is not a second line


def test_a_line_begun_in_one_chunk_and_ended_in_the_next_counts_whole_against_the_cap() -> None:
    decoder = SSEDecoder(max_line=10)
    assert decoder.feed(b"data: 12") == []
    with pytest.raises(LineTooLong):
        decoder.feed(b"345\n\n")
