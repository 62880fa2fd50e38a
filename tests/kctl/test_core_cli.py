"""The kctl executable without a broker: global options, exit codes, errors, terminal output."""

from __future__ import annotations

import os
import pty
import select
import signal
import socket
import subprocess
import threading
import time

import pytest

from tests.kctl.kctl_cli import KCTL, Kctl, closed_port, interruptible, one_error_line, signalled


@pytest.fixture
def kctl(tmp_path) -> Kctl:
    return Kctl(tmp_path)


def test_root_help_lists_groups_and_exit_codes(kctl):
    r = kctl.run("--help")
    assert r.returncode == 0
    for group in ("topics", "configs", "cluster", "log", "profile", "completion"):
        assert f"\n  {group} " in r.stdout
    assert "Exit codes: 0 ok" in r.stdout and "5" in r.stdout
    # Example lines keep their line breaks in plain help.
    assert "\n    kctl topics create orders -p 3\n" in r.stdout


@pytest.mark.parametrize("group", ["topics", "configs", "cluster", "log", "profile",
                                   "completion"])
def test_group_help(kctl, group):
    r = kctl.run(group, "--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"Usage: kctl {group} ")


def test_leaf_help_shows_global_options(kctl):
    r = kctl.run("topics", "list", "-h")
    assert r.returncode == 0
    for opt in ("-b, --bootstrap", "--profile", "-o, --output", "-X KEY=VALUE", "--timeout"):
        assert opt in r.stdout


def test_unreachable_cluster_exit_5_one_line(kctl):
    port = closed_port()
    t0 = time.monotonic()
    r = kctl.run("-b", f"127.0.0.1:{port}", "topics", "list")
    assert r.returncode == 5
    assert one_error_line(r) == (
        f"kctl: error: cannot reach cluster at 127.0.0.1:{port} (connection refused)"
    )
    assert r.stdout == ""
    assert time.monotonic() - t0 < 5


def test_bootstrap_before_and_after_subcommand(kctl):
    root, leaf = closed_port(), closed_port()
    r = kctl.run("topics", "list", "-b", f"127.0.0.1:{leaf}")
    assert f"127.0.0.1:{leaf}" in one_error_line(r)
    # The subcommand's flag wins over the root's.
    r = kctl.run("-b", f"127.0.0.1:{root}", "cluster", "info", "-b", f"127.0.0.1:{leaf}")
    assert f"127.0.0.1:{leaf}" in one_error_line(r)
    r = kctl.run("-b", f"127.0.0.1:{root}", "cluster", "info")
    assert f"127.0.0.1:{root}" in one_error_line(r)


def test_flags_beat_environment(kctl):
    env_port, flag_port = closed_port(), closed_port()
    r = kctl.run("topics", "list", KCTL_BOOTSTRAP=f"127.0.0.1:{env_port}")
    assert f"127.0.0.1:{env_port}" in one_error_line(r)
    r = kctl.run("topics", "list", "-b", f"127.0.0.1:{flag_port}",
                 KCTL_BOOTSTRAP=f"127.0.0.1:{env_port}")
    assert f"127.0.0.1:{flag_port}" in one_error_line(r)


def test_usage_errors_exit_2(kctl):
    r = kctl.run("topics", "list", "-X", "no-equals-sign")
    assert r.returncode == 2 and "KEY=VALUE" in r.stderr
    r = kctl.run("-o", "xml", "topics", "list")
    assert r.returncode == 2 and "'xml' is not one of" in r.stderr
    r = kctl.run("topics", "nonsense")
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_unknown_client_property_exit_7(kctl):
    r = kctl.run("topics", "list", "-X", "no.such.property=1", "-b", f"127.0.0.1:{closed_port()}")
    assert r.returncode == 7
    assert 'No such configuration property: "no.such.property"' in one_error_line(r)


class SilentBroker:
    """Accepts TCP connections and never answers: a cluster that hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.sock.close()
        for c in self.accepted:
            c.close()


@pytest.fixture
def silent():
    s = SilentBroker()
    yield s
    s.close()


def test_timeout_bounds_a_hanging_cluster(kctl, silent):
    t0 = time.monotonic()
    r = kctl.run("topics", "list", "-b", f"127.0.0.1:{silent.port}", "--timeout", "1")
    elapsed = time.monotonic() - t0
    assert r.returncode == 5
    assert "cannot reach cluster at" in one_error_line(r)
    assert "no answer within 1s" in r.stderr
    assert elapsed < 6


def test_ctrl_c_exits_130_without_traceback(kctl, silent):
    r = signalled(
        [*KCTL, "cluster", "info", "-b", f"127.0.0.1:{silent.port}", "--timeout", "60"],
        # once librdkafka has connected, kctl is waiting on the cluster
        ready=lambda _: len(silent.accepted) >= 1, what="kctl to connect", sig=signal.SIGINT,
        ready_timeout=20, timeout=20, text=True, env=kctl.env(), preexec_fn=interruptible,
    )
    assert r.returncode == 130
    assert "Traceback" not in r.stderr


def test_broken_pipe_is_quiet(kctl):
    r, w = os.pipe()
    os.close(r)  # nobody will read: the first write fails with EPIPE
    proc = subprocess.run([*KCTL, "--help"], stdout=w, stderr=subprocess.PIPE, text=True,
                          env=kctl.env(), timeout=30)
    os.close(w)
    assert proc.returncode == 1
    assert proc.stderr == ""  # no traceback, no "Broken pipe" noise


def run_on_tty(args: list[str], env: dict[str, str]) -> bytes:
    """Run with stdout/stderr on a pseudo-terminal; return everything written."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
                            env=env)
    os.close(slave)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 30)
            if not ready:
                break
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
        proc.wait(30)
    return b"".join(chunks)


def test_colour_only_on_a_terminal_without_no_color(kctl):
    env = kctl.env(COLUMNS="100")
    styled = run_on_tty([*KCTL, "topics", "--help"], env)
    assert b"\x1b[" in styled  # the check below could fail
    plain = run_on_tty([*KCTL, "topics", "--help"], {**env, "NO_COLOR": "1"})
    assert b"\x1b[" not in plain
    assert b"Usage: kctl topics" in plain
    piped = kctl.run("topics", "--help")
    assert "\x1b[" not in piped.stdout and piped.stdout.startswith("Usage: kctl topics")


def test_version_and_no_command(kctl):
    r = kctl.run("--version")
    assert r.returncode == 0 and r.stdout.startswith("kctl ")
    r = kctl.run()
    assert r.returncode == 2 and "Usage: kctl" in r.stderr
