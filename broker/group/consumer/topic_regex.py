"""Subscription regexes of KIP-848 consumers: Kafka's RE2/J syntax, matched with Python's re.

Kafka's group coordinator compiles SubscribedTopicRegex with RE2/J and matches whole topic
names. Python's ``re`` shares most of that syntax; this module rewrites what differs, so a
pattern means here what it means to Kafka:

- ``\\Q...\\E`` quotes literal text (what Java's ``Pattern.quote`` produces); ``re`` has no
  such escape and refused the pattern.
- ``\\z`` is the end of the text (``re`` spells it ``\\Z``); ``(?<name>...)`` is a named group
  (``re`` wants ``(?P<name>...)``); ``\\12`` is an octal escape (to ``re``, a backreference);
  the ungreedy flag ``U`` cannot change whether a whole name matches, so it is dropped.
- POSIX classes such as ``[[:alpha:]]`` or ``[[:^digit:]]``, which ``re`` would silently read
  as a different set of characters, become their ASCII ranges.

Perl constructs RE2 leaves out are refused, as Kafka refuses them with
INVALID_REGULAR_EXPRESSION: lookaround, atomic groups, conditionals, backreferences, ``\\Z``.
Topic names are ASCII, so ``re``'s Unicode-aware ``\\d``, ``\\w`` and ``\\s`` match them as
RE2's ASCII ones do. Not translated (refused): ``\\p{...}`` Unicode classes, and inline flags
after the start of the pattern.
"""

from __future__ import annotations

import functools
import re

# RE2's POSIX classes, as ASCII ranges.
_POSIX = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\x00-\x7f",
    "blank": "\t ",
    "cntrl": "\x00-\x1f\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@[-`{-~",
    "space": "\t\n\v\f\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
# What follows "(?" in groups RE2 does not have.
_UNSUPPORTED_GROUPS = ("=", "!", "<=", "<!", ">", "P=", "(")
_FLAGS = re.compile(r"\(\?([imsU]*(?:-[imsU]*)?)([:)])")
_OCTAL = re.compile(r"\\(0[0-7]{0,2}|[1-7][0-7]{1,2})")
_MAX_CODE_POINT = 0x10FFFF


class InvalidRegex(ValueError):
    """A pattern Kafka's RE2/J would refuse (or that this translation cannot express)."""


@functools.lru_cache(maxsize=1024)
def compile_topic_regex(regex: str) -> re.Pattern[str]:
    """The compiled equivalent of an RE2/J pattern; InvalidRegex if it is not one."""
    try:
        return re.compile(_translate(regex))
    except re.error as e:
        raise InvalidRegex(str(e)) from e


def _translate(regex: str) -> str:
    out: list[str] = []
    i, n = 0, len(regex)
    while i < n:
        if regex[i] == "\\":
            i = _escape(regex, i, out)
        elif regex[i] == "[":
            i = _char_class(regex, i, out)
        elif regex.startswith("(?", i):
            i = _group(regex, i, out)
        else:
            out.append(regex[i])
            i += 1
    return "".join(out)


def _group(regex: str, i: int, out: list[str]) -> int:
    """Translate the "(?" construct at ``regex[i]``; the index after what was consumed."""
    rest = regex[i + 2 : i + 4]
    if rest.startswith(_UNSUPPORTED_GROUPS):
        raise InvalidRegex(f"RE2 has no (?{rest[:2]} construct")
    if rest.startswith("<"):
        out.append("(?P<")
        return i + 3
    flags = _FLAGS.match(regex, i)
    if flags is None:
        out.append("(?")
        return i + 2
    kept = flags.group(1).replace("U", "")
    if kept.strip("-"):
        out.append(f"(?{kept}{flags.group(2)}")
    elif flags.group(2) == ":":
        out.append("(?:")
    return flags.end()


def _escape(regex: str, i: int, out: list[str]) -> int:
    """Translate the escape at ``regex[i]`` (a backslash) outside a class; the next index."""
    if i + 1 == len(regex):
        raise InvalidRegex("trailing backslash at end of expression")
    c = regex[i + 1]
    if c == "Q":
        end = regex.find("\\E", i + 2)
        literal = regex[i + 2 :] if end < 0 else regex[i + 2 : end]
        out.append(re.escape(literal))
        return len(regex) if end < 0 else end + 2
    if c == "z":
        out.append(r"\Z")
        return i + 2
    if c == "Z":
        raise InvalidRegex(r"RE2 has no \Z (use \z)")
    octal = _OCTAL.match(regex, i)
    if octal:
        out.append(_code_point(int(octal.group(1), 8)))
        return octal.end()
    if c.isdigit():
        raise InvalidRegex("RE2 has no backreferences")
    out.append(regex[i : i + 2])
    return i + 2


def _char_class(regex: str, i: int, out: list[str]) -> int:
    """Translate the class opening at ``regex[i]``; the index after its closing bracket."""
    parts = ["["]
    j = i + 1
    if regex.startswith("^", j):
        parts.append("^")
        j += 1
    if regex.startswith("]", j):  # a leading ] is a literal
        parts.append(r"\]")
        j += 1
    while j < len(regex) and regex[j] != "]":
        if regex.startswith("[:", j):
            end = regex.find(":]", j + 2)
            name = regex[j + 2 : end] if end >= 0 else ""
            parts.append(_posix_class(name))
            j = end + 2
        elif regex[j] == "\\" and j + 1 < len(regex):
            parts.append(regex[j : j + 2])
            j += 2
        elif regex[j] == "[":  # a literal to RE2; re warns of a nested set
            parts.append(r"\[")
            j += 1
        else:
            parts.append(regex[j])
            j += 1
    if j == len(regex):
        raise InvalidRegex("missing closing ]")
    parts.append("]")
    out.append("".join(parts))
    return j + 1


def _posix_class(name: str) -> str:
    """The ranges inside brackets for [:name:] or its negation [:^name:]."""
    ranges = _POSIX.get(name.removeprefix("^"))
    if ranges is None:
        raise InvalidRegex(f"invalid character class range [:{name}:]")
    inside: set[int] = set()
    k = 0
    while k < len(ranges):
        if ranges[k + 1 : k + 2] == "-" and k + 2 < len(ranges):
            inside.update(range(ord(ranges[k]), ord(ranges[k + 2]) + 1))
            k += 3
        else:
            inside.add(ord(ranges[k]))
            k += 1
    wanted = [cp not in inside if name.startswith("^") else cp in inside for cp in range(0x80)]
    spans: list[tuple[int, int]] = []
    for cp, want in enumerate(wanted):
        if want and spans and spans[-1][1] == cp - 1:
            spans[-1] = (spans[-1][0], cp)
        elif want:
            spans.append((cp, cp))
    if name.startswith("^"):  # every non-ASCII code point too
        if spans and spans[-1][1] == 0x7F:
            spans[-1] = (spans[-1][0], _MAX_CODE_POINT)
        else:
            spans.append((0x80, _MAX_CODE_POINT))
    return "".join(f"{_code_point(a)}-{_code_point(b)}" for a, b in spans)


def _code_point(cp: int) -> str:
    return f"\\U{cp:08x}"
