"""Refill a DataTable in place, keeping the highlighted row (by key) across refreshes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual.widgets import DataTable

from tui.widgets.literal import cell


def refill(table: DataTable, rows: Iterable[tuple[str, Sequence[object]]]) -> None:
    """Replace the rows with ``(key, cells)`` pairs; the cursor stays on the same key.

    A ``str`` cell is shown literally (its text comes from the cluster); a cell that should be
    styled is passed as a ``Text``.
    """
    selected = None
    if table.row_count and table.cursor_row >= 0:
        try:
            selected = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        except Exception:  # the cursor pointed past the old rows
            selected = None
    table.clear()
    keys = []
    widths = [0] * len(table.ordered_columns)
    for key, cells in rows:
        shown = [cell(c) if isinstance(c, str) else c for c in cells]
        table.add_row(*shown, key=key)
        keys.append(key)
        for i, c in enumerate(shown):
            widths[i] = max(widths[i], getattr(c, "cell_len", 0))
    # DataTable measures new rows on its next idle pass, but a line drawn before that pass
    # stays cached (its key holds no column widths): the tail showed "k[/]" cut to "k[/"
    # until the next refill. Widths set now leave nothing to draw narrow.
    for column, width in zip(table.ordered_columns, widths, strict=False):
        column.content_width = max(column.content_width, width)
    if selected in keys:
        table.move_cursor(row=keys.index(selected), animate=False)


def selected_key(table: DataTable) -> str | None:
    if not table.row_count:
        return None
    return table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value


def rate(value: float) -> str:
    return f"{value:,.1f}"


def num(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def size(value: int | None) -> str:
    """Bytes for people: 512 B, 1.5 KiB, 3.2 MiB."""
    if value is None:
        return "-"
    if value < 1024:
        return f"{value} B"
    amount = float(value)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        amount /= 1024
        if amount < 1024 or unit == "TiB":
            return f"{amount:.1f} {unit}"
    raise AssertionError("the loop returns at TiB")
