"""Consume building blocks: record filters and the end-of-consume bookkeeping."""

from __future__ import annotations

import pytest

from kctl.consume_progress import Progress
from kctl.record import Record
from kctl.record_filter import build_filter


def test_filters_search_raw_bytes_and_never_match_null():
    f = build_filter("^user-", "err", ["trace=^a.c$"])
    good = Record(key=b"user-1", value=b"an error", headers=(("x", b"1"), ("trace", b"abc")))
    assert f.active and f.matches(good)
    assert not f.matches(Record(key=None, value=b"err", headers=good.headers))
    assert not f.matches(Record(key=b"user-1", value=None, headers=good.headers))
    assert not f.matches(Record(key=b"user-1", value=b"err", headers=(("trace", None),)))
    assert not f.matches(Record(key=b"user-1", value=b"err", headers=(("other", b"abc"),)))
    assert build_filter(None, "\\xff", None).matches(Record(value=b"\x00\xff"))
    assert not build_filter(None, None, None).active


@pytest.mark.parametrize(
    ("args", "msg"), [(("(", None, None), "--grep-key"), ((None, None, ["novalue"]), "name=regex")]
)
def test_filter_errors(args, msg):
    with pytest.raises(ValueError, match=msg):
        build_filter(*args)


def test_progress_ends_and_count():
    p = Progress()
    p.set_end(("t", 0), end=3, start=1)
    p.set_end(("t", 1), end=5, start=5)  # empty range: done at once
    assert not p.finished
    p.after_record(("t", 0), 1, shown=True)
    assert not p.finished
    p.after_record(("t", 0), 2, shown=False)
    assert p.finished and p.output == 1


def test_progress_past_end_and_eof():
    p = Progress()
    p.set_end(("t", 0), end=10, start=0)
    assert not p.is_past_end(("t", 0), 9)
    assert p.is_past_end(("t", 0), 12) and p.finished
    q = Progress()
    q.set_end(("t", 0), end=10, start=0)
    q.at_eof(("t", 0), 9)
    assert not q.finished
    q.at_eof(("t", 0), 10)
    assert q.finished


def test_progress_limit_without_ends():
    p = Progress(limit=2)
    assert not p.finished
    p.after_record(("t", 0), 100, shown=True)
    p.after_record(("t", 0), 101, shown=True)
    assert p.finished
