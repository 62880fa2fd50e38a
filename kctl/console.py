"""Where kctl writes, how it fails, and the exit codes scripts can rely on.

Data goes to stdout, diagnostics to stderr. Colour and box drawing are for people only:
``NO_COLOR`` (any value) or a stream that is not a terminal gives plain text.

Commands never print errors themselves: they raise :class:`KctlError` (or call :func:`fail`),
and the exception boundary in ``kctl.app.main`` prints exactly one line,
``kctl: error: <message>``, and exits with the error's code. Nothing ever prints a traceback.
"""

from __future__ import annotations

import os
import sys
from enum import IntEnum
from functools import cache
from typing import NoReturn, TextIO

from rich.console import Console


class ExitCode(IntEnum):
    """Process exit codes; stable, documented in ``kctl --help`` and the README."""

    OK = 0
    ERROR = 1  # anything not covered below (also: stdout closed by its reader, quietly)
    USAGE = 2  # bad command line (unknown option, missing argument, bad value syntax)
    PARTIAL = 3  # some of the work failed (e.g. one of several topics not created)
    NOT_FOUND = 4  # topic, group, broker or profile does not exist
    UNREACHABLE = 5  # no broker answered within the timeout
    DENIED = 6  # authentication/authorization failure, or a read-only profile
    INVALID = 7  # invalid config or value rejected by the cluster, bad config file
    UNHEALTHY = 8  # `cluster health` found problems
    UNSUPPORTED = 9  # the cluster lacks the API (or version) the command needs
    INTERRUPTED = 130  # Ctrl-C


EXIT_CODES_HELP = (
    "Exit codes: 0 ok, 1 error, 2 usage, 3 partial failure, 4 not found, 5 cluster unreachable, "
    "6 denied (auth or read-only profile), 7 invalid config/value, 8 unhealthy, "
    "9 unsupported by the cluster, 130 interrupted, 143 terminated."
)


class KctlError(Exception):
    """An error to show the user as one line, with the exit code the process ends with."""

    def __init__(self, message: str, code: ExitCode = ExitCode.ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def fail(message: str, code: ExitCode = ExitCode.ERROR) -> NoReturn:
    """Stop the command: ``kctl: error: <message>`` on stderr, exit with ``code``."""
    raise KctlError(message, code)


def plain(stream: TextIO) -> bool:
    """True when ``stream`` should get plain text: NO_COLOR set, or not a terminal."""
    if os.environ.get("NO_COLOR", "") != "":
        return True
    isatty = getattr(stream, "isatty", None)
    return not (isatty and isatty())


@cache
def stdout() -> Console:
    """Rich console for data on stdout (styled only on a terminal without NO_COLOR)."""
    return _console(sys.stdout)


@cache
def stderr() -> Console:
    """Rich console for diagnostics on stderr."""
    return _console(sys.stderr)


def _console(stream: TextIO) -> Console:
    if plain(stream):
        # soft_wrap: never fold long values; scripts want one record per line.
        return Console(file=stream, no_color=True, highlight=False, emoji=False,
                       color_system=None, soft_wrap=True, width=10_000)
    return Console(file=stream, highlight=False, emoji=False)


def info(message: str) -> None:
    """A diagnostic line on stderr (progress, notes); never mixed into data on stdout."""
    stderr().print(message, markup=False)


def warn(message: str) -> None:
    """``kctl: warning: ...`` on stderr."""
    print(f"kctl: warning: {message}", file=sys.stderr, flush=True)


def error_line(message: str) -> str:
    """The single line printed for an error (the message's first line, whitespace folded)."""
    first = " ".join(message.split()) or "unknown error"
    return f"kctl: error: {first}"


def can_ask() -> bool:
    """Whether there is someone to ask: stdin and stderr are a terminal."""
    return sys.stdin.isatty() and sys.stderr.isatty()


def confirm(question: str) -> bool:
    """Ask yes/no on a terminal; without one (scripts), the answer is no."""
    if not can_ask():
        return False
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    try:
        answer = sys.stdin.readline()
    except (EOFError, KeyboardInterrupt):
        sys.stderr.write("\n")
        return False
    return answer.strip().lower() in {"y", "yes"}
