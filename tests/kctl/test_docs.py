"""Generated completions and man pages are current; every command documents itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import typer

from kctl.app import build_app
from tests.kctl.kctl_cli import Kctl

ROOT = Path(__file__).resolve().parents[2]


def test_generated_docs_are_current():
    r = subprocess.run([sys.executable, "tools/gen_docs.py", "--check"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_check_detects_stale_and_extra_files(tmp_path):
    gen = [sys.executable, str(ROOT / "tools/gen_docs.py"), "--root", str(tmp_path)]
    assert subprocess.run([*gen, "--check"], capture_output=True, timeout=120).returncode == 1
    assert subprocess.run(gen, capture_output=True, timeout=120).returncode == 0
    assert subprocess.run([*gen, "--check"], capture_output=True, timeout=120).returncode == 0
    page = tmp_path / "man" / "kctl-topics-list.1"
    page.write_text(page.read_text().replace("internal", "INTERNAL"))
    (tmp_path / "man" / "kctl-gone.1").write_text("old\n")
    r = subprocess.run([*gen, "--check"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert "stale: man/kctl-topics-list.1" in r.stderr
    assert "no longer generated: man/kctl-gone.1" in r.stderr


def test_completion_show_matches_generated_scripts(tmp_path):
    kctl = Kctl(tmp_path)
    for shell in ("bash", "zsh", "fish"):
        r = kctl.run("completion", "show", shell)
        assert r.returncode == 0
        assert r.stdout == (ROOT / "completions" / f"kctl.{shell}").read_text()
        assert "_KCTL_COMPLETE=complete_" + shell in r.stdout


def test_completion_install_writes_where_the_shell_looks(tmp_path):
    kctl = Kctl(tmp_path)
    r = kctl.run("completion", "install", "fish")
    assert r.returncode == 0, r.stderr
    target = tmp_path / ".config" / "fish" / "completions" / "kctl.fish"
    assert target.read_text() == (ROOT / "completions" / "kctl.fish").read_text()
    r = kctl.run("completion", "install", "bash", "--path", str(tmp_path / "k.bash"))
    assert r.returncode == 0 and (tmp_path / "k.bash").read_text().startswith("_kctl_completion")


def test_subcommands_complete_without_a_cluster(tmp_path):
    r = Kctl(tmp_path).run(COMP_WORDS="kctl top", COMP_CWORD="1", _KCTL_COMPLETE="complete_bash")
    assert r.returncode == 0 and r.stdout.split() == ["topics"]


def test_every_command_has_help_text():
    root = typer.main.get_command(build_app())

    def leaves(cmd, path):
        subs = getattr(cmd, "commands", None)
        if not subs:
            yield path, cmd
            return
        for name, sub in subs.items():
            yield from leaves(sub, f"{path} {name}")

    missing = [path for path, cmd in leaves(root, "kctl") if not (cmd.help or "").strip()]
    assert missing == []


def test_every_option_and_argument_names_its_value():
    # Without a metavar Typer prints the Python type (`-g, --group <str>`, `-n <int range>`)
    # or the parameter's name (`[group_arg]`), which differ between Typer versions.
    root = typer.main.get_command(build_app())

    def params(cmd, path):
        for p in cmd.params:
            yield path, p
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            yield from params(sub, f"{path} {name}")

    unnamed = []
    for path, p in params(root, "kctl"):
        if p.param_type_name == "argument":
            if not (p.metavar and p.metavar.upper() == p.metavar):
                unnamed.append(f"{path} {p.name}")
        elif not getattr(p, "is_flag", False) and not p.hidden and p.metavar is None:
            unnamed.append(f"{path} {p.opts[0]}")
    assert unnamed == []
