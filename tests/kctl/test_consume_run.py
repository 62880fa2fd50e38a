"""The consume loop's wiring with a fake consumer: positions from --from (timestamps
included), --to / -e bounds, EOF handling, filters and the count limit."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from confluent_kafka import KafkaError, TopicPartition

from kctl.consume_run import ConsumeRequest, ConsumeRun, UnknownTopicError
from kctl.offsets import parse_from, parse_to
from kctl.record_filter import build_filter

# One topic "t", two partitions; record i on each has timestamp 1000 * i.
LOG = {0: (2, 8), 1: (0, 3)}  # partition -> (log start, log end)


class Msg:
    def __init__(self, p, offset, err=None):
        self.p, self.o, self.err = p, offset, err

    def error(self):
        return self.err

    def topic(self):
        return "t"

    def partition(self):
        return self.p

    def offset(self):
        return self.o

    def timestamp(self):
        return (1, self.o * 1000)

    def key(self):
        return b"k%d" % self.o

    def value(self):
        return b"v%d" % self.o

    def headers(self):
        return None


class FakeConsumer:
    def __init__(self, **settings):
        self.settings = settings
        self.queue: list[Msg] = []
        self.assigned: list[TopicPartition] = []

    def list_topics(self, timeout):
        parts = {p: None for p in LOG}
        return SimpleNamespace(topics={"t": SimpleNamespace(partitions=parts, error=None)})

    def get_watermark_offsets(self, tp, timeout):
        return LOG[tp.partition]

    def offsets_for_times(self, tps, timeout):
        out = []
        for tp in tps:
            low, high = LOG[tp.partition]
            first = max(low, -(-tp.offset // 1000))  # first offset with 1000*o >= ts
            out.append(TopicPartition(tp.topic, tp.partition, first if first < high else -1))
        return out

    def assign(self, tps):
        self.assigned = list(tps)
        for tp in tps:
            high = LOG[tp.partition][1]
            self.queue += [Msg(tp.partition, o) for o in range(tp.offset, high)]
            eof = KafkaError(KafkaError._PARTITION_EOF)
            self.queue.append(Msg(tp.partition, high, eof))

    def poll(self, timeout):
        assert self.queue, "the run asked for more records than the bounds allow"
        return self.queue.pop(0)

    def close(self):
        pass


def consume(**req):
    got = []
    run = ConsumeRun(FakeConsumer, ConsumeRequest(["t"], **req), got.append, 1, print)
    run.run()
    return run, [(r.partition, r.offset) for r in got]


NOW = 10**12


def test_positions_from_every_kind_of_start():
    assert consume(exit_at_end=True)[1] == [(0, o) for o in range(2, 8)] + [(1, 0), (1, 1), (1, 2)]
    _, got = consume(start=parse_from("-2", NOW), exit_at_end=True, partitions=[0])
    assert got == [(0, 6), (0, 7)]
    assert consume(start=parse_from("@4500", NOW), exit_at_end=True)[1] == [(0, 5), (0, 6), (0, 7)]
    assert consume(start=parse_from("end", NOW), exit_at_end=True)[1] == []
    _, got = consume(start=parse_from("1", NOW), exit_at_end=True)
    assert got[0] == (0, 2)  # clamped to the log start


def test_to_bounds_count_and_filters():
    assert consume(start=parse_from("3", NOW), end=parse_to("5", NOW), partitions=[0])[1] == [
        (0, 3),
        (0, 4),
    ]
    assert consume(end=parse_to("@2000", NOW))[1] == [(1, 0), (1, 1)]
    assert consume(limit=2)[1] == [(0, 2), (0, 3)]
    f = build_filter(None, "^v[24]$", None)
    assert consume(exit_at_end=True, record_filter=f)[1] == [(0, 2), (0, 4), (1, 2)]
    # -e with a --to beyond the end stops at the end
    assert consume(end=parse_to("100", NOW), exit_at_end=True, partitions=[1])[1] == [
        (1, 0),
        (1, 1),
        (1, 2),
    ]


def test_unknown_partition():
    with pytest.raises(UnknownTopicError, match="no partition 5"):
        consume(partitions=[5])
