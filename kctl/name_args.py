"""Names given as an argument, with an option, or both: `kctl consume T` = `kctl consume -t T`.

Every command that takes topics accepts them both ways (and groups likewise), so scripts can
always say `-t/--topic` and `-g/--group`, and people can type the short positional form.
The annotations here declare the topic forms once; :func:`names` and :func:`one_name` merge
what was given and fail with a usage error when nothing or two different names were given.
"""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer

from kctl.completers import complete_topics
from kctl.console import ExitCode, fail

TopicArg = Annotated[
    str | None,
    typer.Argument(metavar="TOPIC", help="Topic name (or use -t).", show_default=False,
                   autocompletion=complete_topics),
]
TopicsArg = Annotated[
    list[str] | None,
    typer.Argument(metavar="TOPIC", help="Topic name(s) (or use -t).", show_default=False,
                   autocompletion=complete_topics),
]
TopicOpt = Annotated[
    str | None,
    typer.Option("--topic", "-t", metavar="TOPIC", help="Same as TOPIC.",
                 autocompletion=complete_topics),
]
TopicsOpt = Annotated[
    list[str] | None,
    typer.Option("--topic", "-t", metavar="TOPIC", help="Same as TOPIC (repeatable).",
                 autocompletion=complete_topics),
]


def names(
    positional: list[str] | None, option: list[str] | None, what: str = "topic",
    flag: str = "-t",
) -> list[str]:
    """Every name given either way, in order, each once; a usage error if there is none."""
    merged = list(dict.fromkeys([*(positional or []), *(option or [])]))
    if not merged:
        _missing(what, flag)
    return merged


def given_once(
    positional: str | None, option: str | None, what: str = "topic", flag: str = "-t"
) -> str | None:
    """The name given as an argument or an option, if any (the same name both ways is fine);
    a usage error for two different names."""
    if positional and option and positional != option:
        fail(f"give the {what} once: as {what.upper()} or with {flag} "
             f"(got {positional!r} and {option!r})", ExitCode.USAGE)
    return positional or option


def one_name(
    positional: str | None, option: str | None, what: str = "topic", flag: str = "-t"
) -> str:
    """The one name given as an argument or an option; a usage error if none or two."""
    name = given_once(positional, option, what, flag)
    if not name:
        _missing(what, flag)
    return name


def _missing(what: str, flag: str) -> NoReturn:
    fail(f"which {what}? give {what.upper()} or {flag} {what.upper()}", ExitCode.USAGE)
