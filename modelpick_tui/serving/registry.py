"""The registry of servers and endpoints: rows of the `endpoints` table, and the key files of servers that
outlive modelpick. Keys never go into the database (DESIGN.md): a detached server's or remote endpoint's
key lives in `home/keys/NAME.key`, mode 0600 in a 0700 folder, and is removed with the server. That is the
trust boundary of huggingface_hub's own token file; a database copied, exported or attached to a bug
report carries no key.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..clock import now_iso
from ..home import DIR_MODE, make_private_dir, open_private
from .endpoints import redact_url, split_credentials, with_credentials
from .engine_report import EngineReport
from .procs import pid_matches
from .spec import ServerSpec, ServingError

if TYPE_CHECKING:
    from ..db import Database

STARTING, READY, FAILED, STOPPED = "starting", "ready", "failed", "stopped"
LIVE = (STARTING, READY)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_name(name: str) -> str:
    """A server's name becomes a file name (log, key): letters, digits, `.`, `_`, `-`."""
    if not _NAME.match(name):
        raise ServingError(f"bad server name {name!r}: use letters, digits, '.', '_' or '-' (at most 64)")
    return name


@dataclass
class Server:
    """A server modelpick runs (or re-attached), or a remote endpoint."""

    name: str
    backend: str
    model: str
    served_model: str
    base_url: str  # the OpenAI base: http://127.0.0.1:PORT/v1
    port: int | None
    api_key: str | None = field(default=None, repr=False)
    status: str = STARTING
    pid: int | None = None
    pgid: int | None = None
    log_path: Path | None = None
    detached: bool = False
    argv: list[str] = field(default_factory=list)  # redacted
    started_at: str | None = None
    ready_at: str | None = None
    time_to_ready_s: float | None = None
    proc_create_time: float | None = None
    error: str | None = None
    spec: ServerSpec | None = field(default=None, repr=False)
    report: EngineReport | None = field(default=None, repr=False)  # what the engine reported when ready
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _pipe_w: int | None = field(default=None, repr=False)
    _t0: float = field(default=0.0, repr=False)

    @property
    def alive(self) -> bool:
        """Whether the server's process (group) is still there."""
        if self._proc is not None:
            return self._proc.poll() is None
        return pid_matches(self.pid, self.proc_create_time)



class Registry:
    """Rows of the `endpoints` table (none without a database) and the key files beside it."""

    def __init__(self, db: Database | None, keys_dir: Path) -> None:
        self.db = db  # the one Database (db.py): its lock and transactions, shared with every store
        self.keys_dir = keys_dir

    def save(self, server: Server) -> None:
        if self.db is None:
            return
        spec = server.spec
        spec_json = json.dumps({k: v for k, v in asdict(spec).items() if k != "api_key"}) if spec else None
        row: dict[str, Any] = {
            "name": server.name,
            "kind": server.backend,
            "base_url": split_credentials(server.base_url)[0],  # the credentials live in the .auth file
            "model": server.model,
            "served_model": server.served_model,
            "pid": server.pid,
            "pgid": server.pgid,
            "port": server.port,
            "argv_json": json.dumps(server.argv),
            "spec_json": spec_json,
            "status": server.status,
            "log_path": str(server.log_path) if server.log_path else None,
            "detached": int(server.detached),
            "started_at": server.started_at,
            "ready_at": server.ready_at,
            "time_to_ready_s": server.time_to_ready_s,
            "proc_create_time": server.proc_create_time,
            "error": redact_url(server.error) if server.error else None,
        }
        with self.db.write() as db:
            db.table("endpoints").upsert(row, pk="name")

    def rows(self) -> list[dict[str, Any]]:
        if self.db is None:
            return []
        with self.db.read() as db:
            return list(db.table("endpoints").rows_where(order_by="name"))

    def mark_gone(self, name: str, why: str) -> None:
        self.drop_key(name)
        if self.db is not None:
            with self.db.write() as db:
                db.table("endpoints").update(name, {"status": STOPPED, "error": why})

    def delete(self, name: str) -> None:
        self.drop_key(name)
        if self.db is not None:
            with self.db.write() as db:
                db.execute("DELETE FROM endpoints WHERE name = ?", [name])

    # --- engine reports (m011): what an engine said about its memory when it became ready ---------------------

    def save_report(self, server: Server, report: EngineReport, process_kind: str, process_bytes: int) -> None:
        """One row per ready start: the engine's figures, the model, and the process's memory apart."""
        if self.db is None:
            return
        row = report.to_dict()
        row.update(server=server.name, backend=server.backend, model_ref=server.model,
                   process_memory_kind=process_kind, process_memory_bytes=process_bytes or None,
                   measured_at=now_iso())
        with self.db.write() as db:
            db.table("engine_reports").insert(row)

    def reports(self, *, server: str | None = None, model_refs: list[str] | None = None,
                latest: bool = True) -> list[dict[str, Any]]:
        """Engine reports, newest first; of one server, or of the models loaded from `model_refs`; with
        `latest`, one per (server, model) pair."""
        if self.db is None:
            return []
        where, args = [], []
        if server is not None:
            where.append("server = ?")
            args.append(server)
        if model_refs is not None:
            if not model_refs:
                return []
            where.append(f"model_ref in ({', '.join('?' for _ in model_refs)})")
            args.extend(model_refs)
        with self.db.read() as db:
            rows = [dict(r) for r in db.table("engine_reports").rows_where(
                " and ".join(where) or None, args, order_by="id desc")]
        if not latest:
            return rows
        seen: set[tuple[str, str]] = set()
        out = []
        for r in rows:
            key = (r["server"], r["model_ref"])
            if key not in seen:
                seen.add(key)
                out.append(r)
        return out

    def key_file(self, name: str, kind: str = "key") -> Path:
        """`NAME.key` holds the API key, `NAME.auth` the `user:password` of its URL."""
        return self.keys_dir / f"{check_name(name)}.{kind}"

    def write_key(self, name: str, key: str, kind: str = "key") -> None:
        make_private_dir(self.keys_dir)
        os.chmod(self.keys_dir, DIR_MODE)  # an older modelpick's folder too
        with open_private(self.key_file(name, kind)) as f:
            f.write(key)

    def read_key(self, name: str, kind: str = "key") -> str | None:
        try:
            return self.key_file(name, kind).read_text().strip() or None
        except OSError:
            return None

    def drop_key(self, name: str) -> None:
        for kind in ("key", "auth"):
            with contextlib.suppress(FileNotFoundError):
                self.key_file(name, kind).unlink()

    def server_from_row(self, row: dict[str, Any]) -> Server:
        spec_data = json.loads(row["spec_json"]) if row.get("spec_json") else None
        spec = None
        if spec_data is not None:
            for tuple_field in ("extra_args", "executable"):
                if spec_data.get(tuple_field) is not None:
                    spec_data[tuple_field] = tuple(spec_data[tuple_field])
            spec_data["headers"] = tuple(tuple(h) for h in spec_data.get("headers") or ())
            spec = ServerSpec(**spec_data)
        # A key named by its variable (OPENROUTER_API_KEY) is read from this process's environment, never a file.
        api_key = os.environ.get(spec.api_key_env) or None if spec is not None and spec.api_key_env else None
        return Server(
            name=row["name"], backend=row["kind"], model=row["model"], served_model=row["served_model"],
            base_url=with_credentials(row["base_url"], self.read_key(row["name"], "auth")), port=row["port"],
            api_key=api_key or self.read_key(row["name"]), status=row["status"],
            pid=row["pid"], pgid=row["pgid"], log_path=Path(row["log_path"]) if row.get("log_path") else None,
            detached=bool(row["detached"]), argv=json.loads(row["argv_json"] or "[]"),
            started_at=row["started_at"], ready_at=row["ready_at"], time_to_ready_s=row["time_to_ready_s"],
            proc_create_time=row["proc_create_time"], error=row["error"], spec=spec,
            report=next((EngineReport.from_row(r) for r in self.reports(server=row["name"])[:1]), None),
        )
