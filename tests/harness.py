"""Start a real broker process on 127.0.0.1 for integration tests, and wait on conditions.

The broker command defaults to this project's broker; KCTL_TEST_BROKER_CMD (a shell command
with {port} and {data} placeholders) points the same tests at another Kafka-protocol broker.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(
    predicate: Callable[[], T],
    timeout: float = 30.0,
    interval: float = 0.05,
    what: str = "condition",
) -> T:
    """Poll ``predicate`` until it returns a truthy value; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last_exc: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # the condition may raise until it holds
            last_exc = e
        time.sleep(interval)
    raise TimeoutError(
        f"timed out after {timeout}s waiting for {what}"
        + (f" (last error: {last_exc!r})" if last_exc else "")
    )


@dataclass
class BrokerProcess:
    """A broker running as a child process; restartable on the same port and data dir."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    extra_args: list[str] = field(default_factory=list)
    proc: subprocess.Popen | None = None
    log_path: Path | None = None
    # Listener names served besides PLAINTEXT on `port` (e.g. ["SSL", "SASL_SSL"]), each on a
    # free port of its own; their protocols come from listener.security.protocol.map.
    extra_listeners: list[str] = field(default_factory=list)
    listener_ports: dict[str, int] = field(default_factory=dict)
    # (soft, hard) open-files limit to start the broker under, as `ulimit -n` would set it
    open_files: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        for name in self.extra_listeners:
            self.listener_ports.setdefault(name, free_port())

    def address(self, listener: str) -> str:
        """HOST:PORT of an extra listener."""
        return f"127.0.0.1:{self.listener_ports[listener]}"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        custom = os.environ.get("KCTL_TEST_BROKER_CMD")
        if custom:
            return shlex.split(custom.format(port=self.port, data=self.data_dir))
        limit = []
        if self.open_files is not None:
            soft, hard = self.open_files
            limit = ["sh", "-c", f'ulimit -Sn {soft} && ulimit -Hn {hard} && exec "$@"', "sh"]
        return [
            *limit,
            sys.executable,
            "-m",
            "broker",
            "--listen",
            self.bootstrap,
            "--data-dir",
            str(self.data_dir),
            *self._listener_args(),
            *self.extra_args,
        ]

    def _listener_args(self) -> list[str]:
        if not self.listener_ports:
            return []
        extra = ",".join(f"{n}://{self.address(n)}" for n in self.listener_ports)
        return ["--set", f"listeners=PLAINTEXT://{self.bootstrap},{extra}"]

    def start(self, timeout: float = 30.0) -> BrokerProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}-broker.log"
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the process lifetime
        self.proc = subprocess.Popen(
            self.command(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()

        def listening() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"broker exited with {self.proc.returncode}:\n{self.log()}")
            try:
                for port in [self.port, *self.listener_ports.values()]:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                return True
            except OSError:
                return False

        wait_for(listening, timeout, what=f"broker to listen on {self.bootstrap}")
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int | None:
        """Stop the broker (SIGTERM for a clean stop, SIGKILL for a crash); return its exit code."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                return proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
                raise
        return proc.returncode

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def restart(self) -> BrokerProcess:
        self.stop()
        return self.start()
