"""Kafka's ``sasl.jaas.config`` for PLAIN: the users of a listener.

The value is one JAAS login module entry, e.g.::

    org.apache.kafka.common.security.plain.PlainLoginModule required
        username="admin" password="admin-secret" user_admin="admin-secret" user_alice="pw";

Each ``user_<name>="<password>"`` option is a user PLAIN accepts (the broker's own
username/password options are for inter-broker logins, unused by a single node).
"""

from __future__ import annotations

import re

PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"
_FLAGS = ("required", "requisite", "sufficient", "optional")
_TOKEN = re.compile(r'\s*(?:"((?:\\.|[^"\\])*)"|([=;])|([^\s=;"]+))', re.S)


def parse_plain_users(text: str) -> dict[str, str]:
    """user name -> password from a PlainLoginModule entry; ValueError naming the problem."""
    tokens = _tokens(text)
    if len(tokens) < 3 or tokens[-1] != (";", False):
        raise ValueError("expected '<LoginModule> <flag> key=\"value\" ... ;'")
    (module, _), (flag, _) = tokens[0], tokens[1]
    if module != PLAIN_MODULE:
        raise ValueError(f"login module {module!r} is not {PLAIN_MODULE}")
    if flag.lower() not in _FLAGS:
        raise ValueError(f"control flag {flag!r} is not one of {', '.join(_FLAGS)}")
    options = tokens[2:-1]
    users: dict[str, str] = {}
    for i in range(0, len(options), 3):
        triple = options[i : i + 3]
        if len(triple) != 3 or triple[1] != ("=", False) or triple[0][1]:
            raise ValueError("options must be key=value pairs")
        (key, _), _, (value, _) = triple
        if key.startswith("user_"):
            users[key[len("user_") :]] = value
    return users


def _tokens(text: str) -> list[tuple[str, bool]]:
    """(token, was quoted) pairs."""
    out: list[tuple[str, bool]] = []
    pos, text = 0, text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"cannot parse at {text[pos : pos + 20]!r}")
        quoted, symbol, word = m.groups()
        if quoted is not None:
            out.append((re.sub(r"\\(.)", r"\1", quoted), True))
        else:
            out.append((symbol or word, False))
        pos = m.end()
    return out
