"""kcat-like ``--format`` templates for ``kctl consume``.

Tokens::

    %t topic       %p partition     %o offset       %T timestamp (ms, -1 if none)
    %k key         %v value (%s is the same, as in kcat)
    %K key length  %S value length (-1 for null)
    %h headers as name=value pairs joined by commas
    %%  a literal percent sign
    \\n newline    \\t tab    \\r carriage return    \\\\ backslash

Keys, values and header values are written raw (``raw``, the default, as kcat does: bytes
pass through untouched), or as ``hex`` or ``base64``. A null key or value renders as
nothing (use %K / %S to tell null from empty). Templates render to ``bytes`` so binary
payloads are never altered on the way to stdout.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from kctl.record import Record

RAW, HEX, BASE64 = "raw", "hex", "base64"
TEMPLATE_ENCODINGS = (RAW, HEX, BASE64)
TOKENS = "tpoTkvsKSh"
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\"}


@dataclass(frozen=True)
class Template:
    """A parsed template: literal strings and one-letter tokens, in order."""

    parts: tuple[tuple[str, str], ...]  # ("lit", text) or ("tok", letter)
    key_encoding: str = RAW
    value_encoding: str = RAW

    def render(self, record: Record) -> bytes:
        out = bytearray()
        for kind, text in self.parts:
            if kind == "lit":
                out += text.encode("utf-8")
            else:
                out += _render_token(text, record, self.key_encoding, self.value_encoding)
        return bytes(out)


def parse_template(text: str, key_encoding: str = RAW, value_encoding: str = RAW) -> Template:
    """Parse a template; raises ``ValueError`` naming an unknown token or escape."""
    for enc in (key_encoding, value_encoding):
        if enc not in TEMPLATE_ENCODINGS:
            raise ValueError(
                f"unknown encoding {enc!r} (expected one of {', '.join(TEMPLATE_ENCODINGS)})"
            )
    parts: list[tuple[str, str]] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c in "%\\":
            if i + 1 >= len(text):
                raise ValueError(f"format ends with a lone {c!r}")
            nxt = text[i + 1]
            if c == "%" and nxt == "%":
                literal.append("%")
            elif c == "%":
                if nxt not in TOKENS:
                    raise ValueError(
                        f"unknown format token %{nxt} (known: "
                        + " ".join(f"%{t}" for t in TOKENS)
                        + " %%)"
                    )
                if literal:
                    parts.append(("lit", "".join(literal)))
                    literal = []
                parts.append(("tok", nxt))
            else:
                if nxt not in ESCAPES:
                    raise ValueError(f"unknown escape \\{nxt} (known: \\n \\t \\r \\\\)")
                literal.append(ESCAPES[nxt])
            i += 2
        else:
            literal.append(c)
            i += 1
    if literal:
        parts.append(("lit", "".join(literal)))
    return Template(tuple(parts), key_encoding, value_encoding)


def _encode(data: bytes | None, encoding: str) -> bytes:
    if data is None:
        return b""
    if encoding == HEX:
        return data.hex().encode("ascii")
    if encoding == BASE64:
        return base64.b64encode(data)
    return data


def _render_token(tok: str, r: Record, key_enc: str, value_enc: str) -> bytes:
    if tok == "t":
        return (r.topic or "").encode("utf-8")
    if tok == "p":
        return str(-1 if r.partition is None else r.partition).encode()
    if tok == "o":
        return str(-1 if r.offset is None else r.offset).encode()
    if tok == "T":
        return str(-1 if r.timestamp is None else r.timestamp).encode()
    if tok == "k":
        return _encode(r.key, key_enc)
    if tok in "vs":
        return _encode(r.value, value_enc)
    if tok == "K":
        return str(-1 if r.key is None else len(r.key)).encode()
    if tok == "S":
        return str(-1 if r.value is None else len(r.value)).encode()
    # "h": kcat's name=value list
    return b",".join(name.encode("utf-8") + b"=" + _encode(v, value_enc) for name, v in r.headers)
