"""Property test: a Log behaves like a list of batches under random operations, including
rolls, truncation, DeleteRecords, and clean and unclean reopening (with a torn tail)."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from broker.log.log import Log, LogConfig
from broker.protocol import records

CONFIG = LogConfig(segment_bytes=600, index_interval_bytes=64, segment_index_bytes=48)

record_spec = st.tuples(st.integers(0, 100), st.integers(0, 100))  # (timestamp, value size)
batch_spec = st.lists(record_spec, min_size=1, max_size=4)


@dataclass
class ModelBatch:
    base: int
    data: bytes  # as stored: stamped offset and epoch
    timestamps: list[int]

    @property
    def last(self) -> int:
        return self.base + len(self.timestamps) - 1


class LogMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="logmodel-"))
        self.log = Log.open(self.dir / "t-0", CONFIG, recovery_point=None, needs_recovery=False)
        self.batches: list[ModelBatch] = []
        self.start = 0
        self.end = 0
        self.epoch = 0
        self.epochs: list[tuple[int, int]] = []

    def teardown(self) -> None:
        if hasattr(self, "log"):
            self.log.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    # --- operations ---------------------------------------------------------------------------

    @rule(specs=st.lists(batch_spec, min_size=1, max_size=3), bump=st.booleans())
    def append(self, specs, bump) -> None:
        if bump:
            self.epoch += 1
        built = []
        for spec in specs:
            recs = [
                records.Record(i, ts, None, bytes([65 + i]) * size)
                for i, (ts, size) in enumerate(spec)
            ]
            built.append((records.build_batch(recs), [ts for ts, _ in spec]))
        buf = bytearray(b"".join(b for b, _ in built))
        result = self.log.append(buf, list(records.iter_batches(buf)), leader_epoch=self.epoch)
        assert result.base_offset == self.end
        if not self.epochs or self.epoch > self.epochs[-1][0]:
            # An epoch starting where the previous one did replaces it (nothing was written).
            self.epochs = [e for e in self.epochs if e[1] < self.end] + [(self.epoch, self.end)]
        pos = 0
        for raw, stamps in built:
            self.batches.append(ModelBatch(self.end, bytes(buf[pos : pos + len(raw)]), stamps))
            pos += len(raw)
            self.end += len(stamps)
        assert result.last_offset == self.end - 1

    @rule(
        where=st.floats(0, 1),
        max_bytes=st.integers(0, 1500),
        bound_back=st.none() | st.integers(0, 10),
        min_one=st.booleans(),
    )
    def read(self, where, max_bytes, bound_back, min_one) -> None:
        offset = self.start + int(where * (self.end - self.start))
        bound = None if bound_back is None else max(self.end - bound_back, 0)
        got = self.log.read(offset, max_bytes, upper_bound=bound, min_one=min_one)
        assert got == self.expected_read(offset, max_bytes, bound, min_one)

    def expected_read(self, offset, max_bytes, bound, min_one) -> bytes:
        limit = self.end if bound is None else min(bound, self.end)
        if offset >= limit:
            return b""  # nothing at or past the bound, even inside a batch based below it
        out: list[bytes] = []
        total = 0
        for b in self.batches:
            if b.last < offset:
                continue
            if b.base >= limit:
                break
            if total + len(b.data) > max_bytes and not (min_one and not out):
                break
            out.append(b.data)
            total += len(b.data)
        return b"".join(out)

    @rule(target_ts=st.integers(0, 110))
    def offset_for_timestamp(self, target_ts) -> None:
        want = next(
            ((o, ts) for o, ts in self.live_records() if ts >= target_ts),
            None,
        )
        assert self.log.offset_for_timestamp(target_ts) == want

    @rule()
    def max_timestamp(self) -> None:
        want = None
        for o, ts in self.live_records():
            if want is None or ts > want[1]:
                want = (o, ts)
        assert self.log.max_timestamp() == want

    def live_records(self):
        for b in self.batches:
            for i, ts in enumerate(b.timestamps):
                if b.base + i >= self.start:
                    yield b.base + i, ts

    @rule()
    def roll(self) -> None:
        self.log.roll()

    @rule(where=st.floats(0, 1.2))
    def delete_records(self, where) -> None:
        offset = int(where * self.end)
        new_start = max(self.start, min(offset, self.end))
        assert self.log.delete_records_before(offset) == new_start
        if new_start > self.start:
            below = [e for e in self.epochs if e[1] <= new_start]
            if below:
                self.epochs = [(below[-1][0], new_start)] + [
                    e for e in self.epochs if e[1] > new_start
                ]
        self.start = new_start
        self.batches = [b for b in self.batches if b.last >= self.start]

    @precondition(lambda self: self.end > self.start)
    @rule(where=st.floats(0, 1))
    def truncate(self, where) -> None:
        offset = self.start + int(where * (self.end - self.start))
        self.log.truncate_to(offset)
        cut = [b for b in self.batches if b.last >= offset]
        if not cut:
            return  # truncating at the log end changes nothing
        self.batches = [b for b in self.batches if b.last < offset]
        self.end = cut[0].base  # whole batches go: the one holding offset starts the cut
        self.start = min(self.start, self.end)
        self.epochs = [e for e in self.epochs if e[1] < self.end]

    @rule(torn=st.booleans())
    def reopen_unclean(self, torn) -> None:
        point = self.log.recovery_point
        self.log.close()
        if torn:
            last = sorted((self.dir / "t-0").glob("*.log"))[-1]
            with open(last, "ab") as f:
                f.write(b"\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x01\x00 torn")
        self.log = Log.open(
            self.dir / "t-0",
            CONFIG,
            recovery_point=point,
            needs_recovery=True,
            log_start_offset=self.start,
        )
        self.forget_empty_epochs()

    @rule()
    def reopen_clean(self) -> None:
        self.log.flush()
        self.log.close()
        self.log = Log.open(
            self.dir / "t-0",
            CONFIG,
            recovery_point=None,
            needs_recovery=False,
            log_start_offset=self.start,
        )
        self.forget_empty_epochs()

    def forget_empty_epochs(self) -> None:
        """On opening, epochs starting at the log end (no data yet) are dropped."""
        self.epochs = [e for e in self.epochs if e[1] < self.end]

    # --- invariants ---------------------------------------------------------------------------

    @invariant()
    def offsets_match(self) -> None:
        if not hasattr(self, "log"):
            return
        assert self.log.log_end_offset == self.end
        assert self.log.log_start_offset == self.start
        assert self.log.recovery_point <= self.end
        assert self.log.leader_epochs() == self.epochs

    @invariant()
    def segments_are_contiguous(self) -> None:
        if not hasattr(self, "log"):
            return
        infos = self.log.segments()
        assert infos[-1].active and infos[-1].next_offset == self.end
        for a, b in itertools.pairwise(infos):
            assert a.next_offset == b.base_offset
        assert infos[0].base_offset <= self.start


LogMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=30, deadline=None, print_blob=True
)
test_log_model = LogMachine.TestCase
