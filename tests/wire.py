"""A minimal raw Kafka client for protocol tests: send one typed request, read its response.

It encodes with kio and frames by hand, so tests can also send deliberately broken bytes.
"""

from __future__ import annotations

import io
import socket
import struct
from typing import Any

from kio.index import load_response_schema
from kio.serial import entity_reader, entity_writer

API_VERSIONS = 18


class WireClient:
    def __init__(self, bootstrap: str, timeout: float = 10.0) -> None:
        host, port = bootstrap.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout)
        self.correlation = 0

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> WireClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send_raw(self, payload: bytes) -> None:
        self.sock.sendall(struct.pack(">i", len(payload)) + payload)

    def recv_frame(self) -> bytes:
        size = struct.unpack(">i", self._recv_exactly(4))[0]
        return self._recv_exactly(size)

    def is_closed_by_peer(self, timeout: float = 5.0) -> bool:
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def _recv_exactly(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("connection closed by the broker")
            buf += chunk
        return bytes(buf)

    def header(
        self, api_key: int, version: int, flexible: bool, client_id: bytes = b"wire"
    ) -> bytes:
        self.correlation += 1
        h = struct.pack(">hhih", api_key, version, self.correlation, len(client_id)) + client_id
        return h + (b"\x00" if flexible else b"")

    def send(self, body: Any, version_override: int | None = None) -> int:
        """Send a kio request object (reading nothing); its API version."""
        cls = type(body)
        buf = io.BytesIO()
        entity_writer(cls)(buf, body)
        version = cls.__version__ if version_override is None else version_override
        self.send_raw(self.header(cls.__api_key__, version, cls.__flexible__) + buf.getvalue())
        return version

    def request(self, body: Any, version_override: int | None = None) -> Any:
        """Send a kio request object; return the decoded response object."""
        cls = type(body)
        version = self.send(body, version_override)
        frame = self.recv_frame()
        (correlation,) = struct.unpack_from(">i", frame, 0)
        assert correlation == self.correlation
        resp_cls = load_response_schema(cls.__api_key__, version)
        pos = 4
        if resp_cls.__flexible__ and cls.__api_key__ != API_VERSIONS:
            pos += 1  # empty tagged fields of response header v1
        obj, _ = entity_reader(resp_cls)(frame, pos)
        return obj
