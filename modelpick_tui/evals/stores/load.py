"""The `load_tests` and `load_levels` tables: each endpoint's load test, its levels and its capacity at an SLO (what
they mean: evals/load/)."""

from __future__ import annotations

import builtins
import dataclasses
from typing import Any

from ...clock import now_iso
from ..load.result import LoadLevel, LoadResult
from .base import Store

_TEST_COLUMNS = tuple(f.name for f in dataclasses.fields(LoadResult) if f.name != "levels")
_LEVEL_COLUMNS = tuple(f.name for f in dataclasses.fields(LoadLevel))


class LoadStore(Store):
    """Load tests and their levels. Each level is committed as it finishes, so an interrupted test keeps them."""

    def start(self, test: LoadResult) -> LoadResult:
        """Store a new test (status running), stamped now unless it has a created_at."""
        test.created_at = test.created_at or now_iso()
        row = {k: v for k, v in dataclasses.asdict(test).items() if k in _TEST_COLUMNS}
        with self.write():
            self.db.table("load_tests").insert(row, pk="id")
        return test

    def save_level(self, level: LoadLevel) -> None:
        """Store a finished level, replacing one at the same concurrency (a level run again on resume)."""
        row = dataclasses.asdict(level) | {"created_at": now_iso()}
        with self.write():
            self.db.table("load_levels").insert(row, pk=("test_id", "concurrency"), replace=True)

    def update(self, test_id: str, **values: Any) -> None:
        """Set columns of a test (status, capacity, sentence, reason, error, finished_at…)."""
        unknown = set(values) - set(_TEST_COLUMNS)
        if unknown:
            raise ValueError(f"not columns of load_tests: {sorted(unknown)}")
        with self.write():
            self.db.table("load_tests").update(test_id, values)

    def get(self, test_id: str) -> LoadResult | None:
        """A test with its levels (by concurrency), or None."""
        with self.lock:
            rows = list(self.db.query("select * from load_tests where id = ?", [test_id]))
            if not rows:
                return None
            result = _result(rows[0])
            result.levels = self.levels(test_id)
        return result

    def levels(self, test_id: str) -> builtins.list[LoadLevel]:
        """A test's levels, lowest concurrency first."""
        with self.lock:
            return [_level(r) for r in self.db.query(
                "select * from load_levels where test_id = ? order by concurrency", [test_id])]

    def results(self, *, model: str | None = None, endpoint: str | None = None, slo: str | None = None,
                status: str | None = None, limit: int | None = None) -> builtins.list[LoadResult]:
        """Tests newest first (without their levels: `levels(id)`), filtered by what is given."""
        sql = ("select * from load_tests where (? is null or model = ?) and (? is null or endpoint = ?)"
               " and (? is null or slo = ?) and (? is null or status = ?) order by created_at desc, rowid desc")
        args: list[Any] = [model, model, endpoint, endpoint, slo, slo, status, status]
        if limit is not None:
            sql += " limit ?"
            args.append(limit)
        with self.lock:
            return [_result(r) for r in self.db.query(sql, args)]

    def latest_capacity(self, model: str, slo: str | None = None) -> LoadResult | None:
        """The newest finished test of `model` (at `slo`, normalised, when given) that established a capacity,
        with its levels; None when the model was never load-tested there."""
        sql = ("select * from load_tests where model = ? and (? is null or slo = ?) and status = 'done'"
               " and capacity_concurrency is not null order by created_at desc, rowid desc limit 1")
        with self.lock:
            rows = list(self.db.query(sql, [model, slo, slo]))
            if not rows:
                return None
            result = _result(rows[0])
            result.levels = self.levels(result.id)
        return result


def _result(row: dict[str, Any]) -> LoadResult:
    return LoadResult(**{k: row[k] for k in _TEST_COLUMNS if k in row})


def _level(row: dict[str, Any]) -> LoadLevel:
    return LoadLevel(**{k: row[k] for k in _LEVEL_COLUMNS if k in row})
