"""Render command results: tables for people, json / yaml / jsonl for scripts.

Commands build plain data (dicts with stable snake_case keys; ints, strings, bools, None,
lists) and hand it here with the ``-o`` format:

* ``print_rows(rows, fmt)`` -- a list of records: a table, a JSON array, one JSON object per
  line (jsonl), or a YAML sequence.
* ``print_doc(doc, fmt, table=...)`` -- one structured result (e.g. cluster info): JSON/YAML
  of the whole document, jsonl as one line; for ``table`` the command's own ``table`` function
  prints one or more tables from it.

Machine formats print values as they are (None is null, numbers stay numbers); only tables
turn values into display strings. On a terminal without NO_COLOR tables are drawn by rich;
otherwise they are plain, space-aligned columns that never wrap, so ``grep``/``awk`` work.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from kctl import console


def to_json(obj: Any, *, indent: int | None = 2) -> str:
    """JSON text; ``indent=None`` gives one compact line, the JSON Lines style of every
    command (records from ``consume -o jsonl`` and admin results alike)."""
    separators = (",", ":") if indent is None else None
    return json.dumps(obj, indent=indent, separators=separators, ensure_ascii=False, default=str)


def print_rows(
    rows: Sequence[Mapping[str, Any]],
    fmt: str,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
) -> None:
    """Print records in ``fmt``; ``columns`` picks and orders the table columns."""
    if fmt == "table":
        print_table(rows, columns or _keys(rows), title=title)
    elif fmt == "json":
        _write(to_json(list(rows)) + "\n")
    elif fmt == "jsonl":
        _write("".join(to_json(dict(r), indent=None) + "\n" for r in rows))
    elif fmt == "yaml":
        _write(to_yaml(list(rows)))
    else:
        raise ValueError(f"unknown output format {fmt!r}")


def print_doc(doc: Any, fmt: str, *, table: Callable[[Any], None]) -> None:
    """Print one structured result; ``table(doc)`` renders it for people."""
    if fmt == "table":
        table(doc)
    elif fmt == "json":
        _write(to_json(doc) + "\n")
    elif fmt == "jsonl":
        _write(to_json(doc, indent=None) + "\n")
    elif fmt == "yaml":
        _write(to_yaml(doc))
    else:
        raise ValueError(f"unknown output format {fmt!r}")


def _keys(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    keys: dict[str, None] = {}
    for r in rows:
        keys.update(dict.fromkeys(r))
    return list(keys)


def cell(value: Any) -> str:
    """A value as a table cell: None is '-', lists are comma-joined, bools are yes/no."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ",".join(cell(v) for v in value) if value else "-"
    if isinstance(value, dict):
        return ",".join(f"{k}={cell(v)}" for k, v in value.items()) if value else "-"
    return str(value)


# Control characters (C0, DEL, C1) and the Unicode line/paragraph separators become escapes.
_SHORT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
_CONTROL_ESCAPES = str.maketrans(
    {
        c: _SHORT_ESCAPES.get(chr(c), f"\\x{c:02x}")
        for c in (*range(0x20), *range(0x7F, 0xA0))
    }
    | {0x2028: "\\u2028", 0x2029: "\\u2029"}
)


def display_text(text: str) -> str:
    """``text`` safe to show on a terminal: control characters as backslash escapes."""
    return text.translate(_CONTROL_ESCAPES)


def header(key: str) -> str:
    return key.replace("_", " ").upper()


def _numeric(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> list[bool]:
    return [
        any(_is_number(r.get(c)) for r in rows)
        and all(_is_number(r.get(c)) or r.get(c) is None for r in rows)
        for c in columns
    ]


def rows_text(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Records as the plain aligned table ``print_table`` writes outside a terminal (for
    tables shown on stderr, such as a destructive command's plan)."""
    cells = [[cell(r.get(c)) for c in columns] for r in rows]
    return plain_table([header(c) for c in columns], cells, _numeric(rows, columns))


def print_table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, title: str | None = None
) -> None:
    """A table on stdout: rich on a terminal, plain aligned columns otherwise."""
    cells = [[cell(r.get(c)) for c in columns] for r in rows]
    numeric = _numeric(rows, columns)
    if console.plain(sys.stdout):
        _write(plain_table([header(c) for c in columns], cells, numeric, title=title))
        return
    # Text, not str: names and values from the cluster are not rich markup ("g[/]x")
    table = Table(
        box=box.SIMPLE_HEAD,
        title=None if title is None else Text(title),
        title_justify="left",
        pad_edge=False,
    )
    for c, is_num in zip(columns, numeric, strict=True):
        table.add_column(header(c), justify="right" if is_num else "left", overflow="fold")
    for row in cells:
        table.add_row(*map(Text, row))
    console.stdout().print(table)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def plain_table(
    headers: Sequence[str],
    cells: Sequence[Sequence[str]],
    numeric: Sequence[bool] | None = None,
    *,
    title: str | None = None,
) -> str:
    numeric = numeric or [False] * len(headers)
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=True)]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip() + "\n"

    text = f"{title}\n" if title else ""
    return text + line(headers) + "".join(line(r) for r in cells)


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


# --- a small YAML emitter (block style) for the plain data kctl prints -------------------

_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./-]*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    # A JSON string is a valid YAML double-quoted scalar (same escapes, a subset of YAML's).
    return json.dumps(text, ensure_ascii=False)


def to_yaml(obj: Any) -> str:
    """YAML 1.2 for dicts, lists and scalars; keys keep their order."""
    lines: list[str] = []
    _emit(obj, 0, lines)
    return "\n".join(lines) + "\n"


def _emit(obj: Any, indent: int, lines: list[str]) -> None:
    pad = " " * indent
    if isinstance(obj, Mapping):
        if not obj:
            lines.append(pad + "{}")
        for key, value in obj.items():
            _emit_item(f"{pad}{_scalar(str(key))}:", value, indent + 2, lines)
    elif isinstance(obj, list | tuple):
        if not obj:
            lines.append(pad + "[]")
        for value in obj:
            if isinstance(value, Mapping) and value:
                # "- key: v" with the remaining keys aligned under the first.
                sub: list[str] = []
                _emit(value, indent + 2, sub)
                lines.append(pad + "- " + sub[0][indent + 2 :])
                lines.extend(sub[1:])
            else:
                _emit_item(pad + "-", value, indent + 2, lines)
    else:
        lines.append(pad + _scalar(obj))


def _emit_item(prefix: str, value: Any, indent: int, lines: list[str]) -> None:
    if isinstance(value, Mapping | list | tuple) and value:
        lines.append(prefix)
        _emit(value, indent, lines)
    elif isinstance(value, Mapping):
        lines.append(prefix + " {}")
    elif isinstance(value, list | tuple):
        lines.append(prefix + " []")
    else:
        lines.append(f"{prefix} {_scalar(value)}")
