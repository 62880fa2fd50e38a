#!/usr/bin/env python3
"""CPU per request on the broker's hot path, without sockets or clients in the way.

Starts a Broker in-process on a temporary data directory and feeds request frames straight
to a Connection's request handling (decode, handler, encode, metrics), as the network layer
does, timing each API separately in microseconds per request. The requests are the ones the
peer benchmark's latency workload sends: librdkafka 2.x's single-record acks=all Produce v10
and the Fetch v16 that follows it (one partition, data ready), plus the stages of each.

Usage: python benchmarks/hotpath_bench.py [--n 20000] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import io
import json
import os
import socket
import struct
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kio.serial import entity_writer

from broker.config import load_config
from broker.handlers import registry
from broker.handlers.context import RequestContext
from broker.network.connection import Connection
from broker.node import Broker
from broker.protocol import codec, records


def frame_of(body: object, correlation: int = 7) -> bytearray:
    cls = type(body)
    buf = io.BytesIO()
    entity_writer(cls)(buf, body)
    header = struct.pack(">hhih", cls.__api_key__, cls.__version__, correlation, 7) + b"rdkafka"
    # a bytearray, as the connection hands frames over (framing.py)
    return bytearray(header + (b"\x00" if cls.__flexible__ else b"") + buf.getvalue())


def produce_frame(topic: str) -> bytearray:
    from kio.schema.produce.v10.request import (
        PartitionProduceData,
        ProduceRequest,
        TopicProduceData,
    )

    batch = records.build_batch([(None, b"x" * 100)], producer_id=-1)
    return frame_of(
        ProduceRequest(
            transactional_id=None,
            acks=-1,
            timeout=datetime.timedelta(seconds=30),
            topic_data=(
                TopicProduceData(
                    name=topic, partition_data=(PartitionProduceData(index=0, records=batch),)
                ),
            ),
        )
    )


def fetch_frame(topic_id: uuid.UUID, offset: int) -> bytearray:
    from kio.schema.fetch.v16.request import FetchPartition, FetchRequest, FetchTopic

    return frame_of(
        FetchRequest(
            max_wait=datetime.timedelta(milliseconds=100),
            min_bytes=1,
            max_bytes=52428800,
            isolation_level=1,  # read_committed: librdkafka's default isolation.level
            session_id=0,
            session_epoch=-1,
            topics=(
                FetchTopic(
                    topic_id=topic_id,
                    partitions=(
                        FetchPartition(
                            partition=0,
                            current_leader_epoch=0,
                            fetch_offset=offset,
                            last_fetched_epoch=-1,
                            log_start_offset=-1,
                            partition_max_bytes=1048576,
                        ),
                    ),
                ),
            ),
            forgotten_topics_data=(),
            rack_id="",
        )
    )


# CPU time of this process (not wall time: the machine is shared), the best of several rounds
ROUNDS = 5


def per_call_us(fn, n: int) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        t0 = time.process_time()
        for _ in range(n // ROUNDS):
            fn()
        best = min(best, (time.process_time() - t0) / (n // ROUNDS) * 1e6)
    return best


async def per_await_us(fn, n: int) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        t0 = time.process_time()
        for _ in range(n // ROUNDS):
            await fn()
        best = min(best, (time.process_time() - t0) / (n // ROUNDS) * 1e6)
    return best


async def run(n: int) -> dict[str, float]:
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(None, [f"log.dirs={tmp}", "listeners=PLAINTEXT://127.0.0.1:0"])
        broker = Broker(config)
        await broker.start()
        try:
            topic = broker.controller.create_topic("lat", 1, 1, {})
            conn = Connection(broker, registry.load())
            conn.peer = "127.0.0.1:1"
            pframe = produce_frame("lat")
            for _ in range(200):  # warm caches and imports
                await conn._handle(pframe)
            out["produce v10 total"] = await per_await_us(lambda: conn._handle(pframe), n)
            req = codec.decode_request(pframe)
            out["  produce decode"] = per_call_us(lambda: codec.decode_request(pframe), n)
            handler = conn.handlers[0]
            ctx = RequestContext(broker, req.header, "127.0.0.1")
            resp = await handler(ctx, req.body)
            out["  produce encode"] = per_call_us(
                lambda: codec.encode_response(req.header, resp), n
            )
            out["  produce handler"] = await per_await_us(lambda: handler(ctx, req.body), n)
            out["  ctx.make (one call)"] = per_call_us(
                lambda: ctx.make(
                    "PartitionProduceResponse",
                    index=0,
                    error_code=0,
                    base_offset=1,
                    log_append_time=-1,
                    log_start_offset=0,
                    record_errors=(),
                    error_message=None,
                ),
                n,
            )

            leo = broker.partition("lat", 0).log_end_offset
            fframe = fetch_frame(topic.topic_id, leo - 1)
            for _ in range(200):
                await conn._handle(fframe)
            out["fetch v16 total (1 batch)"] = await per_await_us(
                lambda: conn._handle(fframe), n
            )
            freq = codec.decode_request(fframe)
            out["  fetch decode"] = per_call_us(lambda: codec.decode_request(fframe), n)
            fctx = RequestContext(broker, freq.header, "127.0.0.1")
            fresp = await conn.handlers[1](fctx, freq.body)
            out["  fetch encode"] = per_call_us(
                lambda: codec.encode_response(freq.header, fresp), n
            )
            out["  fetch handler"] = await per_await_us(
                lambda: conn.handlers[1](fctx, freq.body), n
            )

            # A consumer at the tail: each fetch asks for the batch just produced.
            base = broker.partition("lat", 0).log_end_offset
            tail = iter([fetch_frame(topic.topic_id, base + i) for i in range(n + 1)])

            async def pair() -> None:
                await conn._handle(pframe)
                await conn._handle(next(tail))

            out["produce + tail fetch pair"] = await per_await_us(pair, n)
        finally:
            await broker.stop()
    return out


def process_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def round_trips(sock: socket.socket, frames: list[bytes]) -> None:
    for frame in frames:
        sock.sendall(struct.pack(">i", len(frame)) + frame)
        head = sock.recv(4, socket.MSG_WAITALL)
        (size,) = struct.unpack(">i", head)
        body = sock.recv(size, socket.MSG_WAITALL)
        if len(body) != size:
            raise ConnectionError("the broker closed the connection")


def run_socket(n: int) -> dict[str, float]:
    from confluent_kafka.admin import AdminClient, NewTopic
    from kio.schema.metadata.v12.request import MetadataRequest, MetadataRequestTopic

    from tests.harness import BrokerProcess
    from tests.wire import WireClient

    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        broker = BrokerProcess(Path(tmp) / "data", extra_args=["--log-level", "WARNING"]).start()
        try:
            admin = AdminClient({"bootstrap.servers": broker.bootstrap})
            admin.create_topics([NewTopic("lat", 1, 1)])["lat"].result(15)
            pid = broker.proc.pid  # type: ignore[union-attr]
            with WireClient(broker.bootstrap) as client:
                metadata = client.request(
                    MetadataRequest(
                        topics=(MetadataRequestTopic(name="lat", topic_id=None),),
                        allow_auto_topic_creation=False,
                        include_topic_authorized_operations=False,
                    )
                )
                topic_id = metadata.topics[0].topic_id
                sock = client.sock
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                pframe = produce_frame("lat")
                round_trips(sock, [pframe] * 500)  # warm up
                c0 = process_cpu_s(pid)
                round_trips(sock, [pframe] * n)
                out["produce v10 (broker CPU per request)"] = (process_cpu_s(pid) - c0) / n * 1e6
                # A consumer at the tail: each fetch finds the batch just produced.
                base = 500 + n
                pairs = []
                for i in range(n // 2):
                    pairs += [pframe, fetch_frame(topic_id, base + i)]
                c0 = process_cpu_s(pid)
                round_trips(sock, pairs)
                out["produce + fetch v16 pair (broker CPU)"] = (
                    (process_cpu_s(pid) - c0) / (n // 2) * 1e6
                )
        finally:
            broker.stop()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--socket", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out = run_socket(args.n) if args.socket else asyncio.run(run(args.n))
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for name, us in out.items():
            print(f"{name:32s} {us:8.1f} us")


if __name__ == "__main__":
    main()
