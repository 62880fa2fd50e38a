"""The lossless JSONL record format: every byte, null vs empty, header order and duplicates."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kctl.jsonl_format import JsonlError, dumps_record, parse_record, read_records
from kctl.record import Record

opt_bytes = st.none() | st.binary(max_size=64)
records = st.builds(
    Record,
    topic=st.text(st.characters(codec="utf-8"), min_size=1, max_size=10),
    partition=st.integers(0, 100),
    offset=st.integers(0, 2**62),
    timestamp=st.none() | st.integers(0, 2**50),
    timestamp_type=st.sampled_from([None, "CreateTime", "LogAppendTime"]),
    key=opt_bytes,
    value=opt_bytes,
    headers=st.lists(st.tuples(st.sampled_from(["a", "b", "ü"]), opt_bytes), max_size=5).map(tuple),
)


@given(records)
def test_round_trip_is_exact(record):
    assert parse_record(dumps_record(record)) == record


def test_null_and_empty_are_distinct_and_binary_is_base64():
    r = Record("t", 0, 1, 5, "CreateTime", key=b"", value=None, headers=(("h", b""), ("h", None)))
    obj = json.loads(dumps_record(r))
    assert obj["key"] == "" and obj["value"] is None
    assert obj["headers"] == [["h", ""], ["h", None]]
    binary = Record("t", 0, 1, key=b"\xff\x00", value=b"ok", headers=(("b", b"\x80"),))
    obj = json.loads(dumps_record(binary))
    assert (obj["key"], obj["key_encoding"]) == ("/wA=", "base64")
    assert (obj["value"], obj["value_encoding"]) == ("ok", "utf8")
    assert obj["headers"] == [["b", "gA==", "base64"]]


def test_forced_hex_and_forced_utf8_never_corrupts():
    r = Record("t", 0, 0, key=b"\x01\x02", value=b"\xfe")
    obj = json.loads(dumps_record(r, key_encoding="hex", value_encoding="utf8"))
    assert (obj["key"], obj["key_encoding"]) == ("0102", "hex")
    assert obj["value_encoding"] == "base64"


def test_minimal_input_defaults():
    r = parse_record('{"value": "hi"}')
    assert r == Record(value=b"hi")
    assert parse_record('{"key": "00ff", "key_encoding": "hex"}').key == b"\x00\xff"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json", "invalid JSON"),
        ("[1]", "expected a JSON object"),
        ('{"vaule": "x"}', "unknown field"),
        ('{"value": 3}', "'value' must be a string"),
        ('{"value": "%%", "value_encoding": "base64"}', "invalid base64"),
        ('{"value": "zz", "value_encoding": "hex"}', "invalid hex"),
        ('{"value": "x", "value_encoding": "rot13"}', "value_encoding"),
        ('{"partition": -1}', "'partition'"),
        ('{"partition": true}', "'partition'"),
        ('{"headers": [["a"]]}', "headers[0]"),
        ('{"headers": [["a", 1]]}', "headers[0]"),
        ('{"headers": {"a": "b"}}', "'headers' must be a list"),
        ('{"value": "a", "value": "b"}', "appears twice"),
        ('{"value": "\\ud800"}', "surrogate"),
        ('{"timestamp_type": "Later"}', "timestamp_type"),
    ],
)
def test_malformed_lines_are_rejected(line, reason):
    with pytest.raises(ValueError) as e:
        parse_record(line)
    assert reason in str(e.value)


def test_read_records_reports_line_number_and_stops():
    consumed = []

    def lines():
        for line in [b'{"value": "a"}', b"", b'{"value": 1}', b'{"value": "never"}']:
            consumed.append(line)
            yield line

    it = read_records(lines())
    assert next(it).value == b"a"
    with pytest.raises(JsonlError) as e:
        next(it)
    assert e.value.line_no == 3 and str(e.value).startswith("line 3:")
    assert b'{"value": "never"}' not in consumed


def test_read_records_rejects_non_utf8_line():
    with pytest.raises(JsonlError, match="line 1: not UTF-8"):
        list(read_records([b'{"value": "\xff"}']))
