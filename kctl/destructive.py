"""The one rule for commands that delete: where their plan goes, and when they act.

``topics delete``, ``groups delete``, ``groups delete-offsets`` and ``acls delete`` first
work out what would go (the plan), then:

* without ``--yes`` in a script (stdin or stderr not a terminal), the plan is the command's
  output: stdout, in the ``-o`` format, so ``-o json`` gives scripts a plan to read; nothing
  is deleted and the exit code is 2;
* without ``--yes`` at a terminal, the plan is shown on stderr and kctl asks;
* with ``--yes`` (or a yes at the prompt), stdout holds only the results, one record per
  item deleted or not: its name field(s), ``status`` (``deleted`` or ``failed``) and
  ``error`` (the reason, or null). No plan is shown, so a failure is still one error line
  with nothing before it.

So stdout always carries one document: the plan when nothing changed, the results when kctl
acted. The README's "Plans and deletions" states the same for users.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kctl import output
from kctl.console import ExitCode, can_ask, confirm, fail, info

DELETED = "deleted"
FAILED = "failed"


def may_act(yes: bool) -> bool:
    """Whether the command may go on to delete (so a read-only profile refuses it now):
    ``--yes``, or a terminal where the user can say yes. A script without ``--yes`` only
    plans, which a read-only profile allows."""
    return yes or can_ask()


def go_ahead(
    plan: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: str,
    *,
    yes: bool,
    what: str,
) -> None:
    """Show ``plan`` by the rule above; return when the command is to delete ``what``
    (e.g. "2 topic(s)"), otherwise stop with exit code 2."""
    if yes:
        return
    if can_ask():
        info(output.rows_text(plan, columns).rstrip("\n"))
        if confirm(f"Delete {what}?"):
            return
        fail(f"nothing deleted: confirm with --yes to delete {what}", ExitCode.USAGE)
    output.print_rows(plan, fmt, columns=list(columns))
    fail(f"plan only: nothing deleted; re-run with --yes to delete {what}", ExitCode.USAGE)


def nothing_to_delete(message: str, fmt: str) -> None:
    """Nothing matched: ``message`` on stderr, and for scripts an empty document (``[]`` in
    JSON), so stdout still parses as the plan or results it stands for."""
    info(message)
    if fmt != "table":
        output.print_rows([], fmt)


def outcome(error: str | None) -> dict[str, Any]:
    """The ``status`` and ``error`` fields of a deletion result (``error`` None: deleted)."""
    return {"status": DELETED if error is None else FAILED, "error": error}
