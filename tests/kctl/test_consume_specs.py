"""--from/--to parsing and resolution, durations and datetimes, and --format templates."""

from __future__ import annotations

import pytest

from kctl.format_template import parse_template
from kctl.offsets import (
    BEGINNING,
    END,
    FROM_END,
    OFFSET,
    TIMESTAMP,
    OffsetSpec,
    parse_from,
    parse_to,
    resolve_end,
    resolve_start,
)
from kctl.record import Record
from kctl.timespec import parse_datetime_ms, parse_duration_ms

NOW = 1_700_000_000_000


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("beginning", OffsetSpec(BEGINNING)),
        ("end", OffsetSpec(END)),
        ("42", OffsetSpec(OFFSET, 42)),
        ("-5", OffsetSpec(FROM_END, 5)),
        ("@1699999999000", OffsetSpec(TIMESTAMP, 1_699_999_999_000)),
        ("@2023-11-14T22:13:20Z", OffsetSpec(TIMESTAMP, NOW)),
        ("@2023-11-14T23:13:20.5+01:00", OffsetSpec(TIMESTAMP, NOW + 500)),
        ("@-1h", OffsetSpec(TIMESTAMP, NOW - 3_600_000)),
        ("@-30m", OffsetSpec(TIMESTAMP, NOW - 1_800_000)),
        ("@-PT15M", OffsetSpec(TIMESTAMP, NOW - 900_000)),
    ],
)
def test_parse_from(text, spec):
    assert parse_from(text, NOW) == spec


@pytest.mark.parametrize("text", ["", "soon", "-x", "@", "@yesterday", "@-1y", "1.5"])
def test_parse_from_rejects(text):
    with pytest.raises(ValueError, match="--from"):
        parse_from(text, NOW)


def test_parse_to():
    assert parse_to("10", NOW) == OffsetSpec(OFFSET, 10)
    assert parse_to("end", NOW) == OffsetSpec(END)
    assert parse_to("@-1m", NOW) == OffsetSpec(TIMESTAMP, NOW - 60_000)
    with pytest.raises(ValueError, match="--to"):
        parse_to("-3", NOW)


def test_resolve_start_clamps_into_the_log():
    low, high = 10, 20
    assert resolve_start(OffsetSpec(BEGINNING), low, high) == 10
    assert resolve_start(OffsetSpec(END), low, high) == 20
    assert resolve_start(OffsetSpec(OFFSET, 3), low, high) == 10
    assert resolve_start(OffsetSpec(OFFSET, 15), low, high) == 15
    assert resolve_start(OffsetSpec(OFFSET, 99), low, high) == 20
    assert resolve_start(OffsetSpec(FROM_END, 4), low, high) == 16
    assert resolve_start(OffsetSpec(FROM_END, 40), low, high) == 10
    assert resolve_start(OffsetSpec(TIMESTAMP, 1), low, high, 12) == 12
    assert resolve_start(OffsetSpec(TIMESTAMP, 1), low, high, -1) == 20
    assert resolve_start(OffsetSpec(TIMESTAMP, 1), low, high, None) == 20


def test_resolve_end():
    assert resolve_end(OffsetSpec(END), 20) == 20
    assert resolve_end(OffsetSpec(OFFSET, 15), 20) == 15
    # never past the end captured at start: a bounded read does not wait for new records
    assert resolve_end(OffsetSpec(OFFSET, 25), 20) == 20
    assert resolve_end(OffsetSpec(OFFSET, 5), 0) == 0
    assert resolve_end(OffsetSpec(TIMESTAMP, 1), 20, 7) == 7
    assert resolve_end(OffsetSpec(TIMESTAMP, 1), 20, -1) == 20


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("PT1H", 3_600_000),
        ("P1DT2H30M", 95_400_000),
        ("PT0.5S", 500),
        ("pt10m", 600_000),
        ("1h", 3_600_000),
        ("1h30m", 5_400_000),
        ("500ms", 500),
        ("2d", 172_800_000),
        ("1w", 604_800_000),
    ],
)
def test_parse_duration(text, ms):
    assert parse_duration_ms(text) == ms


@pytest.mark.parametrize("text", ["", "P", "PT", "1", "h", "1h x", "1y", "P1DT"])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration_ms(text)


def test_parse_datetime():
    assert parse_datetime_ms("1970-01-01T00:00:01.250Z") == 1250
    assert parse_datetime_ms("1970-01-02T00:00:00+00:00") == 86_400_000
    with pytest.raises(ValueError, match="invalid datetime"):
        parse_datetime_ms("tomorrow")


REC = Record("orders", 2, 41, 1000, "CreateTime", b"k\xff", b"val", (("a", b"1"), ("a", None)))


def test_template_tokens_and_escapes():
    t = parse_template(r"%t|%p|%o|%T|%k|%v|%s|%K|%S|%h|100%%\t\n\\")
    assert t.render(REC) == b"orders|2|41|1000|k\xff|val|val|2|3|a=1,a=|100%\t\n\\"


def test_template_null_vs_empty_lengths_and_encodings():
    r = Record("t", 0, 0, None, None, None, b"")
    assert parse_template("%K %S [%k][%v]").render(r) == b"-1 0 [][]"
    t = parse_template("%k %v %h", key_encoding="hex", value_encoding="base64")
    assert t.render(REC) == b"6bff dmFs a=MQ==,a="


@pytest.mark.parametrize(
    ("text", "msg"), [("%x", "unknown format token"), ("\\q", "escape"), ("abc%", "lone")]
)
def test_template_rejects(text, msg):
    with pytest.raises(ValueError, match=msg):
        parse_template(text)
