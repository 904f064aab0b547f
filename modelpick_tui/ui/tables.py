"""DataTable helpers shared by the screens."""

from __future__ import annotations

from textual.widgets import DataTable


def cursor_key(table: DataTable) -> str | None:  # type: ignore[type-arg]
    """The key of the row under the cursor, or None (an empty table, a cursor off the rows)."""
    if table.row_count == 0:
        return None
    try:
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
    except Exception:  # the cursor sits outside the rows while the table is being refilled
        return None
    return str(key.value) if key is not None and key.value is not None else None
