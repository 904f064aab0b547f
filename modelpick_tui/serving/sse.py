"""Server-sent events from bytes as they arrive, with a cap on the length of one line.

The stream reader (serving/client.py) feeds it each network chunk and timestamps the chunk, so every event
parsed from it carries the time its bytes arrived. A line over `max_line` bytes raises `LineTooLong` at once:
a server that streams bytes and never a newline must not make the reader buffer forever (issue 11: memory grew
~1.7 MB/s). The rules are the WHATWG ones the servers follow: lines end with CRLF, LF or CR; `data:` lines of
one event are joined with LF; a blank line dispatches; `:` starts a comment; one space after the colon is
dropped."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Event", "LineTooLong", "SSEDecoder"]


class Event(NamedTuple):  # a tuple: made for every event of every stream, ~5x cheaper than a frozen dataclass
    event: str
    data: str


class LineTooLong(Exception):
    """A line of the stream passed the decoder's cap before it ended."""


class SSEDecoder:
    """Feed bytes, get the events they complete. `lines` counts complete lines (comments included): what the
    reader's deadline between events watches."""

    def __init__(self, max_line: int) -> None:
        self.max_line = max_line
        self.lines = 0
        self._buffer = bytearray()
        self._skip_lf = False  # the last chunk ended with CR: a LF that starts the next belongs to it
        self._event = ""
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[Event]:
        """The events completed by `chunk`; raises LineTooLong, or UnicodeDecodeError on bytes that are not
        UTF-8."""
        if self._skip_lf or b"\r" in chunk:
            return self._feed_any(chunk)
        # Lines ended by LF alone (what the servers send): split at once instead of finding each end in turn.
        if b"\n" not in chunk:
            self._buffer += chunk
            if len(self._buffer) > self.max_line:
                raise LineTooLong
            return []
        if self._buffer:  # the end of a line begun in an earlier chunk
            chunk = bytes(self._buffer) + chunk
            self._buffer.clear()
        *lines, rest = chunk.split(b"\n")
        events: list[Event] = []
        data = self._data
        for raw in lines:
            if len(raw) > self.max_line:
                raise LineTooLong
            self.lines += 1
            if raw.startswith(b"data: "):
                data.append(raw[6:].decode("utf-8"))
            elif raw:
                self._line(raw.decode("utf-8"))
            elif data or self._event:
                events.append(Event(self._event or "message", "\n".join(data)))
                self._event, data = "", []
                self._data = data
        if len(rest) > self.max_line:
            raise LineTooLong
        self._buffer += rest
        return events

    def _feed_any(self, chunk: bytes) -> list[Event]:
        """`feed` for chunks with a CR in them, or after one (line ends of every kind, wherever chunks cut them)."""
        events: list[Event] = []
        start = 0
        if self._skip_lf and chunk[:1] == b"\n":
            start = 1
        self._skip_lf = False
        end = len(chunk)
        while start < end:
            cr, lf = chunk.find(b"\r", start), chunk.find(b"\n", start)
            stop = min(i for i in (cr, lf, end) if i >= 0)
            if stop == end:
                break
            self._buffer += chunk[start:stop]
            if len(self._buffer) > self.max_line:
                raise LineTooLong
            start = stop + 1
            if chunk[stop:stop + 1] == b"\r":
                if start < end and chunk[start:start + 1] == b"\n":
                    start += 1
                elif start == end:
                    self._skip_lf = True
            line = self._buffer.decode("utf-8")
            self._buffer.clear()
            self.lines += 1
            event = self._line(line)
            if event is not None:
                events.append(event)
        self._buffer += chunk[start:end]
        if len(self._buffer) > self.max_line:
            raise LineTooLong
        return events

    @property
    def pending(self) -> int:
        """Bytes of a line not ended yet."""
        return len(self._buffer)

    def _line(self, line: str) -> Event | None:
        if not line:
            if not self._data and not self._event:
                return None
            event = Event(self._event or "message", "\n".join(self._data))
            self._event, self._data = "", []
            return event
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        return None
