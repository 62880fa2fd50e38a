"""A TCP proxy in front of a real broker that hides some APIs from its ApiVersions answers.

It plays a broker that lacks those APIs (an older Kafka, Tansu): clients see them missing
from ApiVersions and refuse to send them, as they would to such a broker. Start the broker
with ``advertised.listeners`` naming the proxy's port, so every connection a client opens
after bootstrap goes through the proxy too.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from broker.protocol.header import skip_tagged_fields
from broker.protocol.varint import read_uvarint
from tests.harness import BrokerProcess, free_port

API_VERSIONS = 18


def _read_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def _frames(sock: socket.socket):
    while True:
        head = _read_exact(sock, 4)
        if head is None:
            return
        body = _read_exact(sock, struct.unpack(">i", head)[0])
        if body is None:
            return
        yield body


def strip_apis(body: bytes, version: int, hidden: frozenset[int]) -> bytes:
    """An ApiVersions response body (after the correlation id) without the ``hidden`` keys."""
    if struct.unpack_from(">h", body, 0)[0] != 0:
        return body  # an error answer (in the v0 layout): leave it alone
    if version < 3:
        (count,) = struct.unpack_from(">i", body, 2)
        entries = [body[6 + 6 * i : 12 + 6 * i] for i in range(count)]
        kept = [e for e in entries if struct.unpack_from(">h", e)[0] not in hidden]
        rest = body[6 + 6 * count :]
        return body[:2] + struct.pack(">i", len(kept)) + b"".join(kept) + rest
    count, pos = read_uvarint(body, 2, len(body))
    kept = []
    for _ in range(count - 1):
        start = pos
        key = struct.unpack_from(">h", body, pos)[0]
        pos = skip_tagged_fields(body, pos + 6)
        if key not in hidden:
            kept.append(body[start:pos])
    assert len(kept) + 1 < 0x80  # the new count fits one varint byte
    return body[:2] + bytes([len(kept) + 1]) + b"".join(kept) + body[pos:]


@dataclass
class ApiFilterProxy:
    """Forward 127.0.0.1:``port`` to ``target``, hiding ``hidden`` API keys."""

    target: tuple[str, int]
    hidden: frozenset[int]
    port: int = 0
    _server: socket.socket | None = None
    _sockets: list[socket.socket] = field(default_factory=list)

    def start(self) -> ApiFilterProxy:
        server = socket.create_server(("127.0.0.1", self.port))
        self.port = server.getsockname()[1]
        self._server = server
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def close(self) -> None:
        for s in [self._server, *self._sockets]:
            if s is not None:
                s.close()

    def _accept(self) -> None:
        assert self._server is not None
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self._sockets += [client, upstream]
            asked: dict[int, int] = {}  # correlation id -> ApiVersions request version
            threading.Thread(target=self._up, args=(client, upstream, asked), daemon=True).start()
            threading.Thread(
                target=self._down, args=(upstream, client, asked), daemon=True
            ).start()

    def _up(self, client: socket.socket, upstream: socket.socket, asked: dict[int, int]) -> None:
        try:
            for frame in _frames(client):
                key, version, corr = struct.unpack_from(">hhi", frame)
                if key == API_VERSIONS:
                    asked[corr] = version
                upstream.sendall(struct.pack(">i", len(frame)) + frame)
        except OSError:
            pass
        finally:
            upstream.close()

    def _down(self, upstream: socket.socket, client: socket.socket, asked: dict[int, int]) -> None:
        try:
            for frame in _frames(upstream):
                corr = struct.unpack_from(">i", frame)[0]
                if corr in asked:
                    frame = frame[:4] + strip_apis(frame[4:], asked.pop(corr), self.hidden)
                client.sendall(struct.pack(">i", len(frame)) + frame)
        except OSError:
            pass
        finally:
            client.close()


@contextmanager
def broker_without(data_dir: Path, hidden: frozenset[int]) -> Iterator[str]:
    """A real broker behind an ApiFilterProxy hiding ``hidden``; yields its bootstrap."""
    port = free_port()
    broker = BrokerProcess(
        data_dir, extra_args=["--set", f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}"]
    ).start()
    proxy = ApiFilterProxy(("127.0.0.1", broker.port), hidden, port).start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        proxy.close()
        broker.kill()
