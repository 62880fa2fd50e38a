"""Partition sizes on disk, from DescribeLogDirs (API key 35) sent to each broker.

confluent-kafka has no DescribeLogDirs call, so this speaks that one request itself: kio
encodes and decodes it, framing is the usual 4-byte length. Version 1 is used because every
broker that has the API serves it and it is not flexible (no tagged fields to frame).
Only plaintext listeners are asked; behind TLS or SASL sizes are simply unknown (None).
"""

from __future__ import annotations

import io
import socket
import struct
from collections.abc import Iterable

from kio.index import load_response_schema
from kio.schema.describe_log_dirs.v1.request import DescribeLogDirsRequest
from kio.serial import entity_reader, entity_writer

from kctl.client import BrokerInfo, Cluster

API_KEY, VERSION = 35, 1
MAX_FRAME = 64 * 1024 * 1024  # a log-dirs answer is small; refuse anything absurd


def _frame(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("the broker closed the connection")
        buf += chunk
    return bytes(buf)


def _ask(broker: BrokerInfo, timeout: float) -> dict[tuple[str, int], int]:
    body = io.BytesIO()
    entity_writer(DescribeLogDirsRequest)(body, DescribeLogDirsRequest(topics=None))
    client_id = b"kctl-tui"
    header = struct.pack(">hhih", API_KEY, VERSION, 1, len(client_id)) + client_id
    payload = header + body.getvalue()
    with socket.create_connection((broker.host, broker.port), timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(struct.pack(">i", len(payload)) + payload)
        (size,) = struct.unpack(">i", _frame(sock, 4))
        if not 4 <= size <= MAX_FRAME:
            raise ValueError(f"implausible response size {size}")
        frame = _frame(sock, size)
    response, _ = entity_reader(load_response_schema(API_KEY, VERSION))(frame, 4)
    sizes: dict[tuple[str, int], int] = {}
    for result in response.results:
        if result.error_code:
            continue
        for topic in result.topics:
            for p in topic.partitions:
                key = (str(topic.name), int(p.partition_index))
                sizes[key] = sizes.get(key, 0) + int(p.partition_size)
    return sizes


def plaintext(cluster: Cluster) -> bool:
    return str(cluster.config().get("security.protocol", "plaintext")).lower() == "plaintext"


def partition_sizes(
    cluster: Cluster,
    brokers: Iterable[BrokerInfo],
    leaders: dict[tuple[str, int], int],
    timeout: float = 2.0,
) -> dict[tuple[str, int], int]:
    """(topic, partition) -> bytes on the partition leader; empty when nobody could answer."""
    if not plaintext(cluster):
        return {}
    per_broker: dict[int, dict[tuple[str, int], int]] = {}
    for b in brokers:
        try:
            per_broker[b.node_id] = _ask(b, timeout)
        except Exception:  # network or decoding: sizes are optional, never fail a refresh
            continue
    sizes = {}
    for tp, leader in leaders.items():
        size = per_broker.get(leader, {}).get(tp)
        if size is not None:
            sizes[tp] = size
    return sizes
