"""``kctl produce --interactive``: a prompt with history that accepts multi-line JSON.

Each entry is one record. When the value starts with ``{`` or ``[``, the prompt keeps
reading continuation lines until the brackets balance; a complete JSON document is sent
compacted onto one line. Ctrl-C clears the entry being typed; Ctrl-D (or EOF) ends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory

from kctl.line_input import LineParser
from kctl.record import Record


def open_depth(text: str) -> int:
    """How many JSON brackets are still open at the end of ``text`` (strings skipped)."""
    depth = 0
    in_string = escaped = False
    for c in text:
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
    return depth


def compact_json(text: str) -> str:
    """A complete JSON document on one line; other text is returned unchanged."""
    try:
        return json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))
    except ValueError:
        return text


def prompt_records(
    parser: LineParser, history: Path, prompt: str = "produce> "
) -> Iterator[Record]:
    history.parent.mkdir(parents=True, exist_ok=True)
    session: PromptSession[str] = PromptSession(history=FileHistory(str(history)))
    while True:
        try:
            line = session.prompt(prompt)
        except KeyboardInterrupt:
            continue
        except EOFError:
            return
        record = parser.parse(line.encode("utf-8"))
        value = (record.value or b"").decode("utf-8")
        if value.lstrip().startswith(("{", "[")):
            try:
                while open_depth(value) > 0:
                    value += "\n" + session.prompt("    ... ")
            except KeyboardInterrupt:
                continue
            except EOFError:
                return
            record = Record(
                key=record.key, value=compact_json(value).encode(), headers=record.headers
            )
        yield record
