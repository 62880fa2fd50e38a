"""Where ``kctl consume`` writes records: a --format template, or an -o format.

* template (``--format``, and the default ``%v\\n``): bytes straight to stdout.
* ``jsonl``: kctl's lossless record format (``kctl.jsonl_format``), one line per record.
* ``json``: a JSON array of the same objects, streamed (closed on exit, even on Ctrl-C).
* ``yaml``: a YAML sequence of the same objects, streamed item by item.
* ``table``: a table of partition, offset, timestamp, key, value and headers, printed when
  the consume ends (widths are only known then); bytes shown as text, undecodable bytes
  and control characters escaped; a null key, value or header value shows as ``-``.

Human output is escaped because a record must not drive the reader's terminal: ESC starts
cursor and colour sequences, \\r overwrites a line, NUL and C1 codes confuse terminals. The
default output (``%v\\n``, no --format) does the same when stdout is a terminal; piped, it
stays raw bytes as a template's output always does (use -o jsonl for an exact copy).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Any, BinaryIO

from kctl import output
from kctl.format_template import BASE64, HEX, Template
from kctl.jsonl_format import dumps_record, record_to_dict
from kctl.output import display_text
from kctl.record import Record

# --key-encoding/--value-encoding: "raw" keeps bytes for templates and picks utf8 or base64
# per field for JSON formats; hex and base64 force that encoding.
JSON_ENCODING = {"raw": None, HEX: "hex", BASE64: "base64"}


def _text(data: bytes | None) -> str | None:
    """Bytes for people: UTF-8 where valid, other bytes and control characters escaped."""
    if data is None:
        return None
    return display_text(data.decode("utf-8", errors="backslashreplace"))


def display_record(record: Record) -> Record:
    """``record`` with key, value and header names and values made safe for a terminal."""

    def safe(data: bytes | None) -> bytes | None:
        text = _text(data)
        return None if text is None else text.encode("utf-8")

    return replace(
        record,
        key=safe(record.key),
        value=safe(record.value),
        headers=tuple((display_text(k), safe(v)) for k, v in record.headers),
    )


class RecordSink:
    def __init__(
        self,
        mode: str,
        template: Template | None = None,
        key_encoding: str = "raw",
        value_encoding: str = "raw",
        stream: BinaryIO | None = None,
        escape: bool = False,
    ) -> None:
        self.mode = mode  # "template", "jsonl", "json", "yaml" or "table"
        self.template = template
        self.escape = escape  # template: render display_record(record), for a terminal
        self.key_enc = JSON_ENCODING[key_encoding]
        self.value_enc = JSON_ENCODING[value_encoding]
        self.out = stream or sys.stdout.buffer
        self.count = 0
        self.rows: list[dict[str, Any]] = []

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.out.flush()  # records appear as they arrive, also through pipes

    def __call__(self, record: Record) -> None:
        if self.mode == "template":
            assert self.template is not None
            self._write(self.template.render(display_record(record) if self.escape else record))
        elif self.mode == "jsonl":
            line = dumps_record(record, self.key_enc, self.value_enc) + "\n"
            self._write(line.encode("utf-8"))
        elif self.mode == "json":
            doc = output.to_json(record_to_dict(record, self.key_enc, self.value_enc))
            prefix = "[\n" if self.count == 0 else ",\n"
            self._write((prefix + _indent(doc)).encode("utf-8"))
        elif self.mode == "yaml":
            doc = record_to_dict(record, self.key_enc, self.value_enc)
            self._write(output.to_yaml([doc]).encode("utf-8"))
        else:
            self.rows.append(
                {
                    "partition": record.partition,
                    "offset": record.offset,
                    "timestamp": record.timestamp,
                    "key": _text(record.key),
                    "value": _text(record.value),
                    # A null header value shows as a null key or value does.
                    "headers": [
                        f"{display_text(k)}={output.cell(_text(v))}" for k, v in record.headers
                    ],
                }
            )
        self.count += 1

    def close(self) -> None:
        """Finish the document (JSON's closing bracket, the table)."""
        if self.mode == "json":
            self._write(b"\n]\n" if self.count else b"[]\n")
        elif self.mode == "yaml" and not self.count:
            self._write(b"[]\n")
        elif self.mode == "table":
            sys.stdout.flush()
            output.print_rows(
                self.rows,
                "table",
                columns=["partition", "offset", "timestamp", "key", "value", "headers"],
            )


def _indent(doc: str) -> str:
    return "\n".join("  " + line for line in doc.splitlines())
