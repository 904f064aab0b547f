"""CLI command: `modelpick runs`, the runs and their status. A module of its own: listing runs has no use for
cli/run.py's options and the sampling parameters they name (what it imports is what it costs to start)."""

from __future__ import annotations

from typing import Any

import click

from .output import echo_json, print_rows, services_from


@click.command("runs")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per run on stdout.")
@click.pass_context
def runs(ctx: click.Context, as_json: bool) -> None:
    """List runs: name, set, endpoints, done/total, failures, status.

    Status is one of: running (its process is alive), done, cancelled, failed, interrupted (its process
    died: `modelpick run --resume ID` finishes it), imported."""
    rows = services_from(ctx).traces.run_stats()
    if as_json:
        for r in rows:
            echo_json({
                "id": r["id"], "name": r["name"], "kind": r["kind"], "prompt_set_id": r["prompt_set_id"],
                "set": r["set_name"], "endpoints": [e.get("name") for e in r["endpoints"]],
                "total": r["total"], "ok": r["n_ok"], "failed": r["n_failed"], "status": r["status"],
                "prompt_version": _version(r),
                "params": r["params"], "created_at": r["created_at"], "finished_at": r["finished_at"],
                "owner": None if r["owner"] is None else {"pid": r["owner"].pid, "since": r["owner"].since},
            })
        return
    columns = (("id", "left"), ("name", "left"), ("set", "left"), ("prompt", "left"), ("endpoints", "left"),
               ("done", "right"), ("failed", "right"), ("status", "left"), ("created", "left"))
    cells = []
    for r in rows:
        done = r["n_ok"] + r["n_failed"]
        version = _version(r)
        cells.append((r["id"], r["name"] or "", r["set_name"] or "", version["name"] if version else "",
                      ", ".join(str(e.get("name")) for e in r["endpoints"]),
                      f"{done}/{r['total']}" if r["total"] else str(done), str(r["n_failed"] or ""),
                      r["status"] or "", (r["created_at"] or "")[:16].replace("T", " ")))
    print_rows(f"runs ({len(rows)})", columns, cells)


def _version(run: dict[str, Any]) -> dict[str, str] | None:
    """The prompt version a run used: {"name", "id"}, or None."""
    found = (run.get("params") or {}).get("prompt_version")
    return {"name": str(found.get("name") or ""), "id": str(found.get("id") or "")} if isinstance(found, dict) else None
