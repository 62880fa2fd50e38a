"""Modal dialogs: confirm, create topic, produce, jump to offset, reset group offsets.

Each returns its answer through ``dismiss`` (None when cancelled); the caller acts on it.
The reset dialog is the exception: it plans (in a worker) and shows the plan, and applies
only after the user presses Apply on that plan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static

from kctl.console import KctlError
from kctl.reset_plan import PlanError, PlanRow
from kctl.timespec import parse_datetime_ms, parse_duration_ms
from tui.data import actions
from tui.widgets.literal import cell, markup, plain
from tui.widgets.tables import num

DIALOG_CSS = """
%s { align: center middle; }
%s > Vertical {
    width: 76; max-width: 100%%; height: auto; max-height: 100%%;
    border: round $accent; background: $surface; padding: 0 1;
}
%s Horizontal { height: auto; align-horizontal: right; }
%s Button { margin: 0 1; min-width: 10; }
%s Input { margin: 0; }
"""


def _css(name: str) -> str:
    return DIALOG_CSS % ((name,) * 5)


class ConfirmScreen(ModalScreen[bool]):
    DEFAULT_CSS = _css("ConfirmScreen")
    BINDINGS = [Binding("escape,n", "answer(False)", "No"), Binding("y", "answer(True)", "Yes")]

    def __init__(self, question: Content) -> None:
        super().__init__()
        self.question = question  # built with literal.markup: it names things from the cluster

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="question")
            with Horizontal():
                yield Button("Yes", id="yes", variant="error")
                yield Button("No", id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class _FormScreen(ModalScreen):
    """A few labelled inputs and OK/Cancel; subclasses turn the values into the result."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    title_text = ""  # literal text: it may name a topic
    fields: tuple[tuple[str, str, str], ...] = ()  # (id, label, initial value)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(self.title_text), classes="title")
            for field_id, label, value in self.fields:
                yield Label(label)
                yield Input(value=value, id=field_id)
            yield Static("", id="form-error")
            with Horizontal():
                yield Button("OK", id="ok", variant="primary")
                yield Button("Cancel", id="cancel")

    def value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value.strip()

    def on_input_submitted(self) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _submit(self) -> None:
        try:
            result = self.result()
        except ValueError as e:
            self.query_one("#form-error", Static).update(markup("[b red]$error[/]", error=e))
            return
        self.dismiss(result)

    def result(self) -> object:
        raise NotImplementedError


class CreateTopicScreen(_FormScreen):
    DEFAULT_CSS = _css("CreateTopicScreen")
    title_text = "Create topic"
    fields = (("name", "Name", ""), ("partitions", "Partitions", "3"))

    def result(self) -> tuple[str, int]:
        name, parts = self.value("name"), self.value("partitions")
        if not name:
            raise ValueError("the topic needs a name")
        if not parts.isdigit() or int(parts) < 1:
            raise ValueError("partitions must be a whole number >= 1")
        return name, int(parts)


class ProduceScreen(_FormScreen):
    DEFAULT_CSS = _css("ProduceScreen")
    fields = (("key", "Key (empty: none)", ""), ("value", "Value", ""))

    def __init__(self, topic: str) -> None:
        super().__init__()
        self.title_text = f"Produce a record to {topic}"

    def result(self) -> tuple[str | None, str]:
        return self.value("key") or None, self.query_one("#value", Input).value


@dataclass(frozen=True)
class JumpTarget:
    """Where a tail starts: a partition and offset, or an instant (epoch ms)."""

    partition: int | None = None
    offset: int | None = None
    since_ms: int | None = None

    def describe(self) -> str:
        if self.since_ms is not None:
            when = time.localtime(self.since_ms / 1000)
            return "from " + time.strftime("%Y-%m-%d %H:%M:%S", when)
        return f"from {self.partition}:{self.offset}"


def parse_jump(text: str, now_ms: int) -> JumpTarget:
    """``0:120`` (partition:offset), ``-5m``/``-1h`` (that long ago) or an ISO datetime."""
    text = text.strip()
    part, sep, off = text.partition(":")
    if sep and part.isdigit() and off.isdigit():
        return JumpTarget(int(part), int(off))
    if text.startswith("-"):
        return JumpTarget(since_ms=now_ms - parse_duration_ms(text[1:]))
    try:
        return JumpTarget(since_ms=parse_datetime_ms(text))
    except ValueError:
        raise ValueError("expected PARTITION:OFFSET (0:120), -DURATION (-5m) or a datetime "
                         "(2026-01-31T12:00)") from None


class JumpScreen(_FormScreen):
    DEFAULT_CSS = _css("JumpScreen")
    title_text = "Jump to an offset or a time"
    fields = (("target", "0:120 (partition:offset), -5m (ago) or 2026-01-31T12:00", ""),)

    def result(self) -> JumpTarget:
        return parse_jump(self.value("target"), int(time.time() * 1000))


class ResetScreen(ModalScreen[bool]):
    """Plan a group offset reset with kctl's engine, show the plan, apply on request."""

    DEFAULT_CSS = _css("ResetScreen") + """
    ResetScreen DataTable { height: auto; max-height: 10; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, group: str) -> None:
        super().__init__()
        self.group = group
        self.plan: list[PlanRow] | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(f"Reset offsets of group {self.group}"), classes="title")
            yield Label("To: earliest | latest | offset N | shift N")
            yield Input(value="earliest", id="mode")
            yield Label("Topic (T or T:0,1; empty: every topic the group committed)")
            yield Input(value="", id="topic")
            yield Static("", id="reset-status")
            yield DataTable(id="plan", cursor_type="row")
            with Horizontal():
                yield Button("Plan", id="plan-button", variant="primary")
                yield Button("Apply", id="apply", variant="error", disabled=True)
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#plan", DataTable).add_columns(
            "topic", "partition", "current", "new", "lag before", "lag after")

    def on_input_changed(self) -> None:
        # A plan belongs to the inputs it was made from.
        self.plan = None
        self.query_one("#apply", Button).disabled = True

    def on_input_submitted(self) -> None:
        self.make_plan()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "plan-button":
            self.make_plan()
        elif event.button.id == "apply" and self.plan:
            self.apply(self.plan)
        elif event.button.id == "cancel":
            self.dismiss(False)

    def action_cancel(self) -> None:
        self.dismiss(False)

    @property
    def showing(self) -> bool:
        return self.is_attached and self in self.app.screen_stack

    def status(self, text: Content) -> None:
        if self.showing:
            self.query_one("#reset-status", Static).update(text)

    @work(thread=True, exclusive=True, group="reset")
    def make_plan(self) -> None:
        mode = self.app.call_from_thread(lambda: self.query_one("#mode", Input).value)
        topic = self.app.call_from_thread(lambda: self.query_one("#topic", Input).value)
        try:
            plan = actions.plan_group_reset(self.app.cluster, self.group, mode, topic)
        except (KctlError, PlanError) as e:
            self.app.call_from_thread(
                self.status, markup("[b red]$error[/]", error=getattr(e, "message", e)))
            return
        self.app.call_from_thread(self.show_plan, plan)

    def show_plan(self, plan: list[PlanRow]) -> None:
        if not self.showing:
            return
        table = self.query_one("#plan", DataTable)
        table.clear()
        for r in plan:
            table.add_row(cell(r.topic), str(r.partition), num(r.current), num(r.new),
                          num(r.lag_before), num(r.lag_after))
        moves = sum(r.changes for r in plan)
        self.status(plain(f"Plan: {moves} of {len(plan)} partition(s) change. Apply commits it."))
        self.plan = plan
        self.query_one("#apply", Button).disabled = False

    @work(thread=True, exclusive=True, group="reset")
    def apply(self, plan: list[PlanRow]) -> None:
        try:
            actions.apply_group_reset(self.app.cluster, self.group, plan)
        except KctlError as e:
            self.app.call_from_thread(self.status, markup("[b red]$error[/]", error=e.message))
            return
        self.app.call_from_thread(self._applied)

    def _applied(self) -> None:
        if self.showing:
            self.dismiss(True)
