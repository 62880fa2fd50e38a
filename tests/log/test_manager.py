"""LogManager: directory naming, checkpoints, clean vs unclean start-up."""

from __future__ import annotations

import logging

import pytest

from broker.log.log import LogConfig
from broker.log.manager import (
    CLEAN_SHUTDOWN_FILE,
    LOG_START_FILE,
    RECOVERY_POINT_FILE,
    LogManager,
    parse_partition_dir,
    read_checkpoint,
)
from tests.log.helpers import SMALL, append, batch, spans


def started(path) -> LogManager:
    m = LogManager(path)
    m.startup()
    return m


def test_partition_dir_names_split_at_the_last_dash():
    assert parse_partition_dir("orders.v2-placed-12") == ("orders.v2-placed", 12)
    assert parse_partition_dir("t-0") == ("t", 0)
    for bad in ("t", "-3", "t-", "t-x", "t-0.abc-delete", "t-\u0661"):
        assert parse_partition_dir(bad) is None


def test_clean_shutdown_round_trip(tmp_path):
    m = started(tmp_path)
    log = m.get_or_create("user-tracker", 3, SMALL)
    assert m.get_or_create("user-tracker", 3, SMALL) is log
    for _ in range(10):
        append(log, batch(2, size=100))
    data = log.read(0, 1 << 20)
    m.shutdown()
    assert (tmp_path / CLEAN_SHUTDOWN_FILE).exists()
    assert read_checkpoint(tmp_path / RECOVERY_POINT_FILE) == {("user-tracker", 3): 20}
    text = (tmp_path / RECOVERY_POINT_FILE).read_text()
    assert text == "0\n1\nuser-tracker 3 20\n"

    m.shutdown()  # a second call must not rewrite the checkpoints empty
    assert read_checkpoint(tmp_path / RECOVERY_POINT_FILE) == {("user-tracker", 3): 20}

    m = started(tmp_path)
    assert not (tmp_path / CLEAN_SHUTDOWN_FILE).exists()  # a crash from now on is noticed
    log = m.get("user-tracker", 3)
    assert log is not None and log.read(0, 1 << 20) == data
    assert m.get_or_create("user-tracker", 3, SMALL).config == SMALL
    assert list(m.logs()) == [("user-tracker", 3)]


def test_unclean_start_recovers_from_the_checkpointed_point(tmp_path, caplog):
    m = started(tmp_path)
    log = m.get_or_create("t", 0, SMALL)
    for _ in range(10):
        append(log, batch(1, size=200))
    m.checkpoint()
    last = sorted((tmp_path / "t-0").glob("*.log"))[-1]
    log.close()  # "kill -9": no shutdown, no marker
    size = last.stat().st_size
    with open(last, "ab") as f:
        f.write(b"torn")
    with caplog.at_level(logging.INFO, logger="broker.log"):
        m = started(tmp_path)
    assert "recovering 1 log(s)" in caplog.text
    log = m.get("t", 0)
    assert log is not None and log.log_end_offset == 10
    assert last.stat().st_size == size  # the torn bytes are gone
    assert spans(log.read(0, 1 << 20)) == [(i, i) for i in range(10)]


def test_delete_records_is_persisted_at_once(tmp_path):
    m = started(tmp_path)
    log = m.get_or_create("t", 1, SMALL)
    for _ in range(10):
        append(log, batch(1, size=200))
    log.delete_records_before(7)
    assert read_checkpoint(tmp_path / LOG_START_FILE)[("t", 1)] == 7
    log.close()  # crash right after DeleteRecords
    m = started(tmp_path)
    log = m.get("t", 1)
    assert log is not None and log.log_start_offset == 7
    assert spans(log.read(7, 1)) == [(7, 7)]


def test_delete_forgets_the_partition(tmp_path):
    m = started(tmp_path)
    log = m.get_or_create("gone", 0, SMALL)
    append(log, batch(3))
    log.delete_records_before(2)
    m.delete("gone", 0)
    assert not (tmp_path / "gone-0").exists()
    assert m.get("gone", 0) is None
    assert read_checkpoint(tmp_path / LOG_START_FILE) == {}
    fresh = m.get_or_create("gone", 0, SMALL)
    assert fresh.log_start_offset == 0 and fresh.log_end_offset == 0


def test_flush_due_flushes_and_checkpoints(tmp_path):
    m = LogManager(tmp_path, clock=lambda: 0)
    m.startup()
    log = m.get_or_create("t", 0, LogConfig(flush_ms=100))
    append(log, batch(4))
    m.flush_due(50)
    assert log.recovery_point == 0
    m.flush_due(20_000)
    assert log.recovery_point == 4
    assert read_checkpoint(tmp_path / RECOVERY_POINT_FILE) == {("t", 0): 4}


def test_unsafe_names_are_refused(tmp_path):
    m = started(tmp_path)
    for bad in ("", "..", "a/b"):
        with pytest.raises(ValueError):
            m.get_or_create(bad, 0, SMALL)


def test_corrupt_checkpoint_means_full_recovery(tmp_path, caplog):
    m = started(tmp_path)
    append(m.get_or_create("t", 0, SMALL), batch(2))
    m.shutdown()
    (tmp_path / CLEAN_SHUTDOWN_FILE).unlink()
    (tmp_path / RECOVERY_POINT_FILE).write_text("7\nnonsense\n")
    with caplog.at_level(logging.INFO, logger="broker.log"):
        m = started(tmp_path)
    assert "ignoring it" in caplog.text
    assert "recovering from offset 0" in caplog.text
    assert m.get("t", 0).log_end_offset == 2
