"""Where a model comes from: the country of the organisation that publishes it, from a curated table shipped with
the package (data/origins.csv: country, source, date checked, how it was checked) and the user's own entries, which
win.

Each row says how it was checked (`verified`): "offline" rows were written from what the cited source says without
opening it (no network where they were written), "online" rows were checked against the live page on their date.
Nothing here claims more than that; the user's entries are "user": their own word.

"unknown" is a state, never a guess: an organisation the table does not name is unknown. A fine-tune or a repack
keeps its own publisher; the base model its card names has its own origin beside it. Pure functions and plain
types; the database side (stored columns, the user's entries) is origin_store.py."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

UNKNOWN = "unknown"
TABLE_PATH = Path(__file__).parent / "data" / "origins.csv"
_FIELDS = ["org", "country", "source", "checked", "verified", "note"]
# How a row was checked. "offline": written from the cited source without opening it; "online": checked against
# the live page on the date it gives; "user": the user's own entry (modelpick checked nothing).
VERIFIED = {"offline": "not verified online", "online": "verified online", "user": "your entry"}
# ISO 3166-1 alpha-2, officially assigned codes (249).
ISO_COUNTRIES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC
CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE
GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM
KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH
SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG
VI VN VU WF WS YE YT ZA ZM ZW
""".split())
_ORG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class OriginError(ValueError):
    """A bad country, source or organisation; its text is the one line to show."""


@dataclass(frozen=True)
class OriginEntry:
    """One organisation's country, where it was read and when."""

    org: str  # as written (the Hub's spelling)
    country: str  # ISO 3166-1 alpha-2, or "unknown"
    source: str  # URL
    checked: str  # YYYY-MM-DD: the date it was written (offline) or checked against the live page (online)
    note: str = ""
    by: str = "table"  # "table": shipped with modelpick; "user": the user's own entry
    verified: str = "offline"  # a key of VERIFIED; a user's entry is "user"

    def to_json(self) -> dict[str, Any]:
        return {"org": self.org, "country": self.country, "source": self.source, "checked": self.checked,
                "verified": self.verified, "note": self.note, "by": self.by}

    def provenance(self) -> str:
        """'en.wikipedia.org/wiki/Meta_Platforms · not verified online': where it was read and how it was checked,
        as the card and `origin list` say it."""
        how = VERIFIED.get(self.verified, self.verified)
        if self.verified != "offline":
            how += f", {self.checked}"
        return f"{short_url(self.source)} · {how}"


def short_url(url: str) -> str:
    """'https://www.example.org/about/' → 'example.org/about'."""
    return re.sub(r"^https?://(www\.)?", "", url).rstrip("/")


def check_country(text: str) -> str:
    """'us' → 'US'; 'unknown' stays; anything else is an OriginError."""
    value = text.strip()
    if value.lower() == UNKNOWN:
        return UNKNOWN
    if value.upper() in ISO_COUNTRIES:
        return value.upper()
    raise OriginError(f"not an ISO 3166-1 alpha-2 country code (or 'unknown'): {value[:40]!r}")


def check_countries(values: Iterable[str]) -> tuple[str, ...]:
    """Comma-separated or repeated country codes (as the CLI takes them), checked and de-duplicated."""
    out: list[str] = []
    for value in values:
        for part in value.split(","):
            if part.strip():
                out.append(check_country(part))
    return tuple(dict.fromkeys(out))


def check_org(text: str) -> str:
    value = text.strip().strip("/")
    if not _ORG.fullmatch(value):
        raise OriginError(f"not a Hub organisation name: {value[:60]!r}")
    return value


def check_source(text: str) -> str:
    value = text.strip()
    if not re.fullmatch(r"https?://[^\s]{3,500}", value):
        raise OriginError("the source must be an http(s) URL (the page that says where the organisation is)")
    return value


def publisher(model_id: str | None) -> str:
    """'meta-llama/Llama-3.1-8B' → 'meta-llama'; '' when the id names no organisation."""
    org, sep, _ = (model_id or "").partition("/")
    return org if sep else ""


def table_bytes(path: Path = TABLE_PATH) -> bytes:
    return path.read_bytes()


def table_sha(path: Path = TABLE_PATH) -> str:
    """The shipped table's hash: the catalogue recomputes its stored origins when it changes."""
    return hashlib.sha256(table_bytes(path)).hexdigest()[:16]


def load_table(path: Path = TABLE_PATH) -> dict[str, OriginEntry]:
    """The shipped table, keyed by lower-case organisation. Every row has a country code or "unknown", a URL and a
    date; a row that has not is an OriginError naming its line (the tests hold the shipped file to it)."""
    import csv  # read when origins are computed, not on the browse table's first page

    text = table_bytes(path).decode("utf-8")
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip() and not line.startswith("#")]
    reader = csv.reader(line for _, line in lines)
    header = next(reader, None)
    if header != _FIELDS:
        raise OriginError(f"{path.name}: the header must be {','.join(_FIELDS)}")
    table: dict[str, OriginEntry] = {}
    for (lineno, _), row in zip(lines[1:], reader, strict=True):
        where = f"{path.name} line {lineno}"
        if len(row) != len(_FIELDS):
            raise OriginError(f"{where}: {len(row)} fields, not {len(_FIELDS)}")
        org, country, source, checked, verified, note = (cell.strip() for cell in row)
        try:
            entry = OriginEntry(check_org(org), check_country(country), check_source(source), checked, note,
                                verified=verified)
        except OriginError as err:
            raise OriginError(f"{where}: {err}") from None
        if not _DATE.fullmatch(checked):
            raise OriginError(f"{where}: the date checked must be YYYY-MM-DD, not {checked!r}")
        if verified not in ("offline", "online"):
            raise OriginError(f"{where}: verified must be offline (written from the source without opening it) or "
                              f"online (checked against the live page), not {verified!r}")
        if org.lower() in table:
            raise OriginError(f"{where}: {org} is in the table twice")
        table[org.lower()] = entry
    return table


@functools.cache
def shipped() -> Mapping[str, OriginEntry]:
    return load_table()


def user_entry(org: str, country: str, source: str, checked: str | None = None) -> OriginEntry:
    """A user's entry, checked: the organisation as typed, the country code, the URL that says so, today."""
    return OriginEntry(check_org(org), check_country(country), check_source(source),
                       checked or date.today().isoformat(), by="user", verified="user")


@dataclass(frozen=True)
class ModelOrigin:
    """A model's origin as the card and `--json` show it: its publisher's, and its base model's when the card
    names one (a fine-tune or a repack)."""

    publisher: str
    country: str
    entry: OriginEntry | None  # the table's or the user's entry for the publisher; None: not in the table
    base_model: str = ""
    base_country: str | None = None  # None: the card names no base model
    base_entry: OriginEntry | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "publisher": self.publisher, "country": self.country, "by": self.entry.by if self.entry else None,
            "verified": self.entry.verified if self.entry else None,
            "source": self.entry.source if self.entry else None,
            "base_model": self.base_model or None, "base_country": self.base_country,
            "base_by": self.base_entry.by if self.base_entry else None,
            "base_verified": self.base_entry.verified if self.base_entry else None,
        }


class OriginBook:
    """The shipped table with the user's entries over it (a user's entry wins)."""

    def __init__(self, table: Mapping[str, OriginEntry], user: Iterable[OriginEntry] = ()) -> None:
        self.table = dict(table)
        self.user = {e.org.lower(): e for e in user}

    def entry(self, org: str) -> OriginEntry | None:
        key = org.lower()
        return self.user.get(key) or self.table.get(key)

    def country(self, org: str) -> str:
        found = self.entry(org) if org else None
        return found.country if found else UNKNOWN

    def countries(self, model_id: str, base_model: str | None) -> tuple[str, str]:
        """(publisher's country, base model's country) as stored per row: a model that names no base model is its
        own base, so `--by-base` keeps the originals beside their fine-tunes."""
        own = self.country(publisher(model_id))
        base = (base_model or "").strip()
        return own, (self.country(publisher(base)) if base and base != model_id else own)

    def of_model(self, model_id: str, base_model: str | None) -> ModelOrigin:
        org = publisher(model_id)
        base = (base_model or "").strip()
        base = "" if base == model_id else base
        base_org = publisher(base)
        return ModelOrigin(org, self.country(org), self.entry(org) if org else None, base,
                           self.country(base_org) if base else None, self.entry(base_org) if base_org else None)

    def entries(self) -> list[OriginEntry]:
        """Every entry in force, the user's in place of the table's, by organisation."""
        merged = {**self.table, **self.user}
        return [merged[k] for k in sorted(merged)]
