"""Regenerate kctl's shell completions (completions/) and man pages (man/) from the app.

    python tools/gen_docs.py           # rewrite the files
    python tools/gen_docs.py --check   # exit 1 and list what is stale (tests run this)

Man pages are written from the Click command tree that Typer builds: one page per command
and group (kctl.1, kctl-topics.1, kctl-topics-list.1, ...), with the help text, every option
and argument, and the exit codes. Nothing depends on the terminal or the date, so the output
is reproducible and the staleness check is exact.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import typer

ROOT = Path(__file__).resolve().parent.parent
SHELLS = ("bash", "zsh", "fish")


@dataclass(frozen=True)
class Node:
    """A command in the tree with its context (parents) and its full name."""

    command: Any
    ctx: Any
    path: tuple[str, ...]

    @property
    def page(self) -> str:
        return "-".join(self.path)

    @property
    def is_group(self) -> bool:
        return hasattr(self.command, "list_commands")


def walk(command: Any, ctx: Any, path: tuple[str, ...]) -> Iterator[Node]:
    yield Node(command, ctx, path)
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            sub_ctx = type(ctx)(sub, info_name=name, parent=ctx)
            yield from walk(sub, sub_ctx, (*path, name))


def esc(text: str) -> str:
    """Escape text for roff: backslashes, hyphens, and control characters at line start."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    lines = []
    for line in text.split("\n"):
        lines.append("\\&" + line if line[:1] in (".", "'") else line)
    return "\n".join(lines)


def help_paragraphs(text: str) -> list[str]:
    text = inspect.cleandoc(text or "").partition("\f")[0]
    return [p.replace("\b\n", "").strip("\n") for p in text.split("\n\n") if p.strip()]


def render_text(text: str) -> list[str]:
    """Help paragraphs as roff: prose is filled, blocks with indented lines kept as is."""
    out: list[str] = []
    for para in help_paragraphs(text):
        lines = para.splitlines()
        if any(line[:1].isspace() for line in lines[1:]):
            out += [".PP", esc(lines[0]), ".RS 2", ".nf"]
            out += [esc(line.strip()) for line in lines[1:]]
            out += [".fi", ".RE"]
        else:
            out += [".PP", esc(" ".join(line.strip() for line in lines))]
    return out


def param_entries(node: Node) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(arguments, options) as (term, description) pairs in the order --help shows them."""
    args, opts = [], []
    for param in node.command.get_params(node.ctx):
        if getattr(param, "hidden", False):
            continue
        if param.param_type_name == "argument":
            name = param.make_metavar(node.ctx) if hasattr(param, "make_metavar") else param.name
            args.append((name, getattr(param, "help", None) or ""))
            continue
        record = param.get_help_record(node.ctx)
        if record:
            opts.append(record)
    return args, opts


def man_page(node: Node, app_version: str, exit_codes: str) -> str:
    cmd = node.command
    title = node.page.upper()
    full = " ".join(node.path)
    short = cmd.get_short_help_str(limit=200) if hasattr(cmd, "get_short_help_str") else ""
    lines = [
        f'.TH "{title}" "1" "" "kctl {app_version}" "kctl manual"',
        ".SH NAME",
        f"{esc(node.page)} \\- {esc(short)}",
        ".SH SYNOPSIS",
        f".B {esc(full)}",
        esc(" ".join(cmd.collect_usage_pieces(node.ctx))),
        ".SH DESCRIPTION",
        *render_text(cmd.help or ""),
    ]
    args, opts = param_entries(node)
    if args:
        lines.append(".SH ARGUMENTS")
        for term, text in args:
            lines += [".TP", f".B {esc(term)}", esc(text)]
    if opts:
        lines.append(".SH OPTIONS")
        for term, text in opts:
            lines += [".TP", f".B {esc(term)}", esc(text)]
    if node.is_group:
        lines.append(".SH COMMANDS")
        for name in cmd.list_commands(node.ctx):
            sub = cmd.get_command(node.ctx, name)
            if sub is None or sub.hidden:
                continue
            lines += [".TP", f".B {esc(name)}",
                      f"{esc(sub.get_short_help_str(limit=200))} See \\fB{esc(node.page)}\\-"
                      f"{esc(name)}\\fR(1)."]
    if cmd.epilog:
        lines += render_text(cmd.epilog)
    lines += [".SH EXIT STATUS", esc(exit_codes)]
    if len(node.path) > 1:
        lines += [".SH SEE ALSO", f"\\fB{esc('-'.join(node.path[:-1]))}\\fR(1)"]
    return "\n".join(lines) + "\n"


def expected_files() -> dict[Path, str]:
    """Every generated file (relative to the repo root) with its content."""
    from kctl.app import build_app
    from kctl.commands.completion import script
    from kctl.console import EXIT_CODES_HELP

    root = typer.main.get_command(build_app())
    ctx = root.make_context("kctl", [], resilient_parsing=True)
    app_version = version("kctl")
    files = {Path("completions") / f"kctl.{shell}": script(shell) for shell in SHELLS}
    for node in walk(root, ctx, ("kctl",)):
        files[Path("man") / f"{node.page}.1"] = man_page(node, app_version, EXIT_CODES_HELP)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="Change nothing; exit 1 if a generated file is stale or extra.")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    files = expected_files()
    stale = [p for p, text in sorted(files.items())
             if not (args.root / p).is_file() or (args.root / p).read_text() != text]
    extra = sorted(
        p.relative_to(args.root)
        for d, pattern in (("completions", "kctl.*"), ("man", "kctl*.1"))
        for p in (args.root / d).glob(pattern)
        if p.relative_to(args.root) not in files
    )
    if args.check:
        for p in stale:
            print(f"stale: {p}", file=sys.stderr)
        for p in extra:
            print(f"no longer generated: {p}", file=sys.stderr)
        if stale or extra:
            print("run: python tools/gen_docs.py", file=sys.stderr)
            return 1
        return 0
    for p in stale:
        (args.root / p).parent.mkdir(parents=True, exist_ok=True)
        (args.root / p).write_text(files[p])
        print(f"wrote {p}")
    for p in extra:
        (args.root / p).unlink()
        print(f"removed {p}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
