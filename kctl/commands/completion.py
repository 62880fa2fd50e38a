"""`kctl completion show|install SHELL`: shell completion for bash, zsh and fish.

The scripts are thin: the shell calls ``kctl`` back with ``_KCTL_COMPLETE`` set and kctl
answers from its own command tree (Typer's completion protocol), so new commands and options
complete without reinstalling, and topic/group names come live from the cluster
(``kctl.completers``). ``tools/gen_docs.py`` writes the same scripts into ``completions/``.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kctl.console import info

PROG = "kctl"
COMPLETE_VAR = "_KCTL_COMPLETE"


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def script(shell: str) -> str:
    """The completion script for ``shell`` (ends with a newline)."""
    # Typer's own template, so the script and kctl's completion answers always agree.
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=shell) + "\n"


def default_path(shell: Shell) -> Path:
    """Where each shell picks up completions without editing rc files (zsh: see notes)."""
    home = Path.home()
    if shell is Shell.bash:
        data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
        return data / "bash-completion" / "completions" / PROG
    if shell is Shell.zsh:
        return home / ".zfunc" / f"_{PROG}"
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    return config / "fish" / "completions" / f"{PROG}.fish"


NEXT_STEP = {
    Shell.bash: "bash-completion loads it in new shells (package bash-completion).",
    Shell.zsh: "add to ~/.zshrc, before compinit:  fpath+=~/.zfunc; autoload -Uz compinit; "
    "compinit",
    Shell.fish: "fish loads it in new shells.",
}


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Shell completion (bash, zsh, fish), including live topic and "
                        "group names.", no_args_is_help=True)

    @group.command("show")
    def show(
        shell: Annotated[Shell, typer.Argument(metavar="SHELL", help="bash, zsh or fish.")],
    ) -> None:
        """Print the completion script, e.g. `source <(kctl completion show bash)`."""
        typer.echo(script(shell.value), nl=False)

    @group.command("install")
    def install(
        shell: Annotated[Shell, typer.Argument(metavar="SHELL", help="bash, zsh or fish.")],
        path: Annotated[
            Path | None,
            typer.Option(
                "--path", metavar="FILE", help="Write here instead of the shell's usual place."
            ),
        ] = None,
    ) -> None:
        """Write the completion script where the shell finds it (rc files are not edited).

        Example:
          kctl completion install bash
        """
        target = path or default_path(shell)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(script(shell.value))
        info(f"wrote {target}")
        if path is None:
            info(NEXT_STEP[shell])

    app.add_typer(group, name="completion")
