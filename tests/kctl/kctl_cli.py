"""Run the real ``kctl`` executable for the core/admin CLI tests, isolated from the user."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.harness import wait_for

KCTL = [sys.executable, "-m", "kctl"]


def interruptible() -> None:
    """Popen's preexec_fn for a child a test will Ctrl-C: a shell without job control starts
    background jobs with SIGINT ignored, and the child (Python too) would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def signalled(
    cmd: list[str],
    *,
    ready: Callable[[subprocess.Popen], bool],
    what: str,
    sig: int,
    ready_timeout: float = 30,
    timeout: float = 30,
    **popen: Any,
) -> subprocess.CompletedProcess:
    """Start ``cmd`` (stdin closed, output captured), wait until ``ready(process)``, send ``sig``
    and collect what it wrote and its exit code; it is killed if it outlives ``timeout``."""
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen
    )
    try:
        wait_for(lambda: ready(proc), ready_timeout, what=what)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def closed_port() -> int:
    """A port nothing listens on (bound then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Kctl:
    """``kctl`` with its own config file and no inherited KCTL_* settings."""

    home: Path
    bootstrap: str | None = None
    env_extra: dict[str, str] = field(default_factory=dict)

    @property
    def config(self) -> Path:
        return self.home / "config.toml"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KCTL_")}
        env.update({"KCTL_CONFIG": str(self.config), "HOME": str(self.home),
                    "XDG_CONFIG_HOME": str(self.home / ".config")})
        env.pop("NO_COLOR", None)
        if self.bootstrap:
            env["KCTL_BOOTSTRAP"] = self.bootstrap
        env.update(self.env_extra)
        env.update(extra)
        return env

    def run(
        self, *args: str, input: str | None = None, timeout: float = 60,
        cwd: Path | None = None, **env: str,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*KCTL, *args],
            cwd=cwd,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env(**env),
        )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """Assert stderr is exactly one ``kctl: error:`` line and no traceback; return it."""
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1 and lines[0].startswith("kctl: error: "), result.stderr
    return lines[0]
