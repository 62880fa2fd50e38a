"""The ``?`` help screen: every key, on every screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

HELP = """\
[b]kctl dashboard[/b]: live view of a Kafka-protocol cluster

[b]Everywhere[/b]
  ?        this help              q / ctrl+c  quit
  p        pause / resume refresh r           refresh now
  d        dark / light theme     escape      back

[b]Main screen[/b] (tabs)
  1 2 3    overview, topics, consumer groups
  enter    open the highlighted topic
  /        filter topics          c  create topic
  x        delete topic           t  tail topic
  i        show/hide internal topics (__consumer_offsets, ...)
  R        reset the highlighted group's offsets (plan first)

[b]Topic[/b]
  ↑ ↓      pick a partition: its segments show below
  t        tail                   P  produce a record
  x        delete topic

[b]Tail[/b]
  /        filter by key/value    g  jump to P:OFFSET, -5m or a time
  l        back to live tail      P  produce a record

Mouse works too: click tabs, rows and buttons.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 72; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(HELP, id="help-text")

    def action_dismiss(self) -> None:
        self.dismiss(None)
