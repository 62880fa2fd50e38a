"""Data from the cluster or from records, shown as the literal text it is.

Textual parses a plain ``str`` given to a DataTable cell or a Static as markup: a group named
``grp[/]x`` raised MarkupError and a value ``[red]x`` came out red. Names, keys, values and
broker messages therefore go in as ``Text`` cells or as ``$variables`` of a markup template
(inserted verbatim), and control characters are shown escaped so that an ESC or NUL in a
record never reaches the terminal.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content

from kctl.output import display_text as visible  # control characters as escapes


def cell(value: object) -> Text:
    """A DataTable cell that shows ``value`` literally."""
    return Text(visible(str(value)), end="")


def markup(template: str, **values: object) -> Content:
    """Our own markup ``template`` with ``$name`` placeholders filled by literal ``values``."""
    return Content.from_markup(template, **{k: visible(str(v)) for k, v in values.items()})


def plain(value: object) -> Content:
    """``value`` for a Static or Label: literal text, no markup."""
    return Content(visible(str(value)))
