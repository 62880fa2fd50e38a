#!/usr/bin/env python3
"""Micro-benchmark of the partition log alone: append N batches of 16 KiB, read them back.

Usage: python benchmarks/log_bench.py [--batches 20000] [--batch-kib 16] [--read-kib 1024]
Prints MB/s for appends (page-cache writes, no fsync unless --flush-messages) and for
sequential reads in fetch-sized chunks, plus random single-batch reads per second.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from broker.log.log import Log, LogConfig
from broker.protocol import records


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", type=int, default=20_000)
    ap.add_argument("--batch-kib", type=int, default=16)
    ap.add_argument("--read-kib", type=int, default=1024, help="max bytes per read call")
    ap.add_argument("--segment-mib", type=int, default=64)
    ap.add_argument("--flush-messages", type=int, default=None)
    args = ap.parse_args()

    value = bytes(random.randbytes(1000))
    per_batch = max(1, args.batch_kib * 1024 // 1010)
    template = records.build_batch([(None, value)] * per_batch, timestamp_ms=1_700_000_000_000)
    config = LogConfig(segment_bytes=args.segment_mib << 20, flush_messages=args.flush_messages)
    with tempfile.TemporaryDirectory(prefix="log-bench-") as tmp:
        log = Log.open(Path(tmp) / "bench-0", config, recovery_point=None, needs_recovery=False)
        started = time.perf_counter()
        for _ in range(args.batches):
            buf = bytearray(template)
            log.append(buf, list(records.iter_batches(buf)), leader_epoch=0)
        append_s = time.perf_counter() - started
        total = log.size_bytes

        started = time.perf_counter()
        offset, got = 0, 0
        while offset < log.log_end_offset:
            data = log.read(offset, args.read_kib * 1024)
            got += len(data)
            *_, (_, last) = records.iter_batches(data)
            offset = last.next_offset
        read_s = time.perf_counter() - started
        assert got == total, (got, total)

        n = 20_000
        end = log.log_end_offset
        started = time.perf_counter()
        for _ in range(n):
            log.read(random.randrange(end), 1)
        random_s = time.perf_counter() - started

        segments = len(log.segments())
        log.close()
    mb = total / 1e6
    print(f"{args.batches} batches x {len(template)} bytes = {mb:.0f} MB, {segments} segment(s)")
    print(f"append      {mb / append_s:8.0f} MB/s  ({args.batches / append_s:,.0f} batches/s)")
    print(f"read        {mb / read_s:8.0f} MB/s  ({args.read_kib} KiB per read)")
    print(f"random read {n / random_s:8,.0f} reads/s (one batch each)")


if __name__ == "__main__":
    main()
