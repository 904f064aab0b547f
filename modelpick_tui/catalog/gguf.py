"""The GGUF format: the header reader (key/values and tensor sizes of a .gguf file, without loading its
tensors) and the names of split files (`model-Q8_0-00001-of-00003.gguf`).

Headless core: the gguf package (numpy) is imported only to size tensor types, inside the reader.
"""

from __future__ import annotations

import math
import mmap
import os
import re
import struct
from typing import Any

# Arrays longer than this (tokenizer vocab, merges, scores) are skipped: per-layer arrays are far smaller.
# The vocab's length is kept under this key (not a GGUF key: read_gguf_metadata adds it).
GGUF_VOCAB_COUNT = "GGUF.vocab_count"
_MAX_GGUF_ARRAY = 1024

# GGUF value types (gguf.GGUFValueType) -> struct format; 8 is a string, 9 an array.
_GGUF_SCALAR: dict[int, str] = {
    0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d",
}  # fmt: skip
_GGUF_STRING, _GGUF_ARRAY = 8, 9


class _Truncated(Exception):
    """The header claims more bytes than the file has."""


class _GGUFCursor:
    """Reads GGUF header fields from a memory map, checking every length against the file size."""

    def __init__(self, buf: Any, order: str) -> None:
        self.buf = buf
        self.size = len(buf)
        self.order = order
        self.pos = 0

    def need(self, n: int) -> None:
        if n < 0 or self.pos + n > self.size:
            raise _Truncated(f"truncated: needs {n} bytes at offset {self.pos}, file has {self.size}")

    def scalar(self, fmt: str) -> Any:
        width = struct.calcsize(fmt)
        self.need(width)
        (value,) = struct.unpack_from(self.order + fmt, self.buf, self.pos)
        self.pos += width
        return value

    def string(self) -> str:
        n = self.scalar("Q")
        self.need(n)
        raw = bytes(self.buf[self.pos : self.pos + n])
        self.pos += n
        return raw.decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        n = self.scalar("Q")
        self.need(n)
        self.pos += n

    def value(self, vtype: int, keep: bool = True) -> Any:
        """One value of type ``vtype``; with keep=False it is skipped and None returned."""
        if vtype in _GGUF_SCALAR:
            fmt = _GGUF_SCALAR[vtype]
            if not keep:
                self.need(struct.calcsize(fmt))
                self.pos += struct.calcsize(fmt)
                return None
            return self.scalar(fmt)
        if vtype == _GGUF_STRING:
            if keep:
                return self.string()
            self.skip_string()
            return None
        if vtype == _GGUF_ARRAY:
            itype = self.scalar("I")
            count = self.scalar("Q")
            keep_items = keep and count <= _MAX_GGUF_ARRAY
            if itype in _GGUF_SCALAR and not keep_items:
                self.need(count * struct.calcsize(_GGUF_SCALAR[itype]))  # skip in one step
                self.pos += count * struct.calcsize(_GGUF_SCALAR[itype])
                return None
            items = []
            for _ in range(count):  # strings must be walked; every item moves at least 8 bytes on
                item = self.value(itype, keep_items)
                if keep_items:
                    items.append(item)
            return items if keep_items else None
        raise ValueError(f"unknown GGUF value type {vtype}")


def read_gguf_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Key/values of a GGUF file: scalars, strings and small arrays (huge arrays such as the vocab skipped).

    Also "GGUF.version", "GGUF.tensor_count", "GGUF.kv_count" (as gguf.GGUFReader names them) and
    "GGUF.parameter_count", the element count of this file's tensors (one shard's share for split files).
    Raises ``ValueError("not a GGUF file: ...")`` for a garbage or truncated file (tensor data cut short
    included); OSError (missing file, no permission) passes through unchanged.
    """
    # Why not gguf.GGUFReader: it builds numpy objects for every vocab entry and merge, ~12 s for a
    # 150k-token tokenizer, per file. This walks the same layout and only skips over those arrays.
    where = os.fspath(path)
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size < 4 or fh.read(4) != b"GGUF":
            raise ValueError(f"not a GGUF file: {where} (no GGUF magic number)")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            try:
                return _parse_gguf(buf, size)
            except (_Truncated, struct.error, ValueError, OverflowError) as exc:
                raise ValueError(f"not a GGUF file: {where} ({exc})") from exc


def _parse_gguf(buf: Any, size: int) -> dict[str, Any]:
    (version,) = struct.unpack_from("<I", buf, 4) if size >= 8 else (0,)
    # A file written on a big-endian machine reads as version << 16 here (the same test as GGUFReader).
    order = ">" if version and version & 0xFFFF == 0 else "<"
    cur = _GGUFCursor(buf, order)
    cur.pos = 4
    version = cur.scalar("I")
    if version not in (2, 3):
        raise ValueError(f"unsupported GGUF version {version}")
    n_tensors, n_kv = cur.scalar("Q"), cur.scalar("Q")
    out: dict[str, Any] = {"GGUF.version": version, "GGUF.tensor_count": n_tensors, "GGUF.kv_count": n_kv}
    for _ in range(n_kv):
        key = cur.string()
        vtype = cur.scalar("I")
        if key == "tokenizer.ggml.tokens" and vtype == _GGUF_ARRAY and cur.pos + 12 <= size:
            # The vocab itself is skipped (huge); its length sizes the runtime's logits buffer.
            out[GGUF_VOCAB_COUNT] = struct.unpack_from(order + "Q", buf, cur.pos + 4)[0]
        value = cur.value(vtype)
        if value is not None:
            out[key] = value

    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType  # lazy: numpy; block sizes per tensor type

    params = 0
    data_end = 0  # bytes of tensor data the header promises
    for _ in range(n_tensors):
        cur.skip_string()
        n_dims = cur.scalar("I")
        if n_dims > 8:
            raise ValueError(f"tensor with {n_dims} dimensions")
        elems = math.prod(cur.scalar("Q") for _ in range(n_dims))
        ttype, offset = cur.scalar("I"), cur.scalar("Q")
        params += elems
        try:
            block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(ttype)]
        except (ValueError, KeyError):
            continue  # a tensor type newer than the gguf package: cannot size it, do not fail on it
        data_end = max(data_end, offset + elems * type_size // block)
    out["GGUF.parameter_count"] = params

    align = out.get("general.alignment")
    align = align if isinstance(align, int) and align > 0 and align & (align - 1) == 0 else 32
    data_start = -(-cur.pos // align) * align
    if n_tensors and data_start + data_end > size:
        raise _Truncated(f"truncated: tensor data ends at {data_start + data_end}, file has {size} bytes")
    return out


# --- split files --------------------------------------------------------------------------------------
# llama.cpp's gguf-split names the parts of one model NAME-00001-of-00003.gguf; it loads them all from the
# first part's path, so the first part stands for the model.

_SPLIT = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$", re.IGNORECASE)


def is_first_part(name: str) -> bool:
    """True for a whole GGUF file and for the first part of a split one."""
    m = _SPLIT.search(name)
    return m is None or int(m.group(1)) == 1


def split_parts(name: str) -> list[str]:
    """Every part's name of a (possibly split) GGUF, first part first, given any part's name."""
    m = _SPLIT.search(name)
    if not m:
        return [name]
    stem, count = name[: m.start()], int(m.group(2))
    return [f"{stem}-{i:05d}-of-{m.group(2)}.gguf" for i in range(1, count + 1)]


def unsplit_name(name: str) -> str:
    """The file name without its split suffix: "m-Q8_0-00001-of-00003.gguf" → "m-Q8_0.gguf"."""
    m = _SPLIT.search(name)
    return name if m is None else name[: m.start()] + name[m.end() - 5 :]
