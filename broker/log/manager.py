"""All partition logs of one broker data directory, and the broker-level files beside them.

On-disk layout (Apache Kafka's)::

    <data_dir>/<topic>-<partition>/             one Log each (see log.py)
    <data_dir>/.kafka_cleanshutdown             present only while the broker is stopped
                                                cleanly
    <data_dir>/recovery-point-offset-checkpoint
    <data_dir>/log-start-offset-checkpoint

Checkpoint files are text: a version line (0), a count line, then ``topic partition offset``
lines. They are replaced atomically (temporary file, fsync, rename, directory fsync).

Failure policy: ``startup`` opens every partition directory found. With the clean-shutdown
marker present each log opens without a full scan (its last segment is still
sanity-checked); without it each log is recovered from its checkpointed recovery point (from
its first segment if none is recorded). The marker is deleted right after, so a crash later
is noticed next time, and written again only by a ``shutdown`` whose fsyncs all succeeded.
An unreadable checkpoint file is logged and treated as empty: recovery then scans whole
logs. The ``__cluster_metadata`` directory belongs to the metadata quorum, not to this manager.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from broker.log.atomic import fsync_dir, write_atomically
from broker.log.log import Log, LogConfig
from broker.log.segment import now_ms

log = logging.getLogger("broker.log")

CLEAN_SHUTDOWN_FILE = ".kafka_cleanshutdown"
RECOVERY_POINT_FILE = "recovery-point-offset-checkpoint"
LOG_START_FILE = "log-start-offset-checkpoint"
CHECKPOINT_VERSION = 0
METADATA_TOPIC = "__cluster_metadata"
RECOVERY_CHECKPOINT_INTERVAL_MS = 10_000

TopicPartition = tuple[str, int]


class CorruptCheckpointError(Exception):
    """A checkpoint file does not follow its format."""


def parse_partition_dir(name: str) -> TopicPartition | None:
    """'my.topic-with-dashes-12' -> ('my.topic-with-dashes', 12); None if not a partition."""
    topic, sep, index = name.rpartition("-")
    if not sep or not topic or not (index.isascii() and index.isdigit()):
        return None
    return topic, int(index)


def read_checkpoint(path: Path) -> dict[TopicPartition, int]:
    """Entries of a checkpoint file (empty if it does not exist)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    lines = text.splitlines()
    try:
        if len(lines) < 2 or int(lines[0]) != CHECKPOINT_VERSION:
            raise ValueError("bad version line")
        count = int(lines[1])
        if count != len(lines) - 2:
            raise ValueError(f"count {count} but {len(lines) - 2} entry lines")
        entries = {}
        for line in lines[2:]:
            topic, index, offset = line.split(" ")
            entries[(topic, int(index))] = int(offset)
    except ValueError as e:
        raise CorruptCheckpointError(f"{path}: {e}") from e
    return entries


def write_checkpoint(path: Path, entries: dict[TopicPartition, int]) -> None:
    lines = [str(CHECKPOINT_VERSION), str(len(entries))]
    lines += [f"{t} {p} {o}" for (t, p), o in sorted(entries.items())]
    write_atomically(path, "\n".join(lines) + "\n")


class LogManager:
    """Opens, creates, flushes, checkpoints and deletes the partition logs of a data dir."""

    def __init__(self, data_dir: Path, *, clock: Callable[[], int] = now_ms) -> None:
        self.data_dir = data_dir
        self._clock = clock
        self._logs: dict[TopicPartition, Log] = {}
        self._checkpointed_recovery: dict[TopicPartition, int] = {}
        self._last_recovery_checkpoint_ms = 0
        self._shut_down = False

    # --- lifecycle ----------------------------------------------------------------------------

    def startup(self) -> None:
        """Open every log on disk, recovering them if the last stop was not clean."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        marker = self.data_dir / CLEAN_SHUTDOWN_FILE
        clean = marker.exists()
        recovery_points = self._read(RECOVERY_POINT_FILE)
        log_starts = self._read(LOG_START_FILE)
        found = sorted(
            (key, path)
            for path in self.data_dir.iterdir()
            if path.is_dir()
            and (key := parse_partition_dir(path.name)) is not None
            and key[0] != METADATA_TOPIC
        )
        if found and not clean:
            log.warning(
                "no clean-shutdown marker in %s: recovering %d log(s) from their recovery points",
                self.data_dir,
                len(found),
            )
        for key, path in found:
            self._logs[key] = Log.open(
                path,
                LogConfig(),
                recovery_point=recovery_points.get(key),
                needs_recovery=not clean,
                log_start_offset=log_starts.get(key, 0),
                on_log_start_offset_change=self._log_start_changed,
                clock=self._clock,
            )
        if clean:
            marker.unlink()
            fsync_dir(self.data_dir)
        self.checkpoint()
        kind = "clean start" if clean or not found else "after an unclean stop"
        log.info("opened %d log(s) in %s (%s)", len(found), self.data_dir, kind)

    def shutdown(self) -> None:
        """Flush every log, write the checkpoints, then the clean-shutdown marker.

        A second call does nothing (it must not overwrite the checkpoints with nothing).
        """
        if self._shut_down:
            return
        self._shut_down = True
        try:
            for lg in self._logs.values():
                lg.flush()
            self.checkpoint()
        finally:
            for lg in self._logs.values():
                lg.close()
        marker = self.data_dir / CLEAN_SHUTDOWN_FILE
        with open(marker, "wb") as f:
            os.fsync(f.fileno())
        fsync_dir(self.data_dir)
        self._logs.clear()

    # --- logs ---------------------------------------------------------------------------------

    def get(self, topic: str, partition: int) -> Log | None:
        return self._logs.get((topic, partition))

    def get_or_create(self, topic: str, partition: int, config: LogConfig) -> Log:
        """The partition's log with ``config`` applied, created empty if it does not exist."""
        key = (topic, partition)
        existing = self._logs.get(key)
        if existing is not None:
            existing.update_config(config)
            return existing
        _check_name(topic, partition)
        created = Log.open(
            self.data_dir / f"{topic}-{partition}",
            config,
            recovery_point=None,
            needs_recovery=False,
            on_log_start_offset_change=self._log_start_changed,
            clock=self._clock,
        )
        self._logs[key] = created
        return created

    def delete(self, topic: str, partition: int) -> None:
        """Remove the partition's log and forget its checkpoint entries."""
        doomed = self._logs.pop((topic, partition), None)
        if doomed is not None:
            doomed.delete()
        else:
            _check_name(topic, partition)
            shutil.rmtree(self.data_dir / f"{topic}-{partition}", ignore_errors=True)
        # Rewritten now so a topic re-created under the same name never inherits the offsets.
        self.checkpoint()

    def logs(self) -> dict[TopicPartition, Log]:
        return dict(self._logs)

    # --- durability ---------------------------------------------------------------------------

    def flush_due(self, now_ms: int) -> None:
        """Flush the logs whose flush.ms has passed; checkpoint recovery points now and then.

        Every log is tried; the first OSError is raised afterwards.
        """
        error: OSError | None = None
        for key, lg in self._logs.items():
            try:
                lg.flush_if_due(now_ms)
            except OSError as e:
                log.error("flushing %s-%d failed: %s", key[0], key[1], e)
                error = error or e
        if now_ms - self._last_recovery_checkpoint_ms >= RECOVERY_CHECKPOINT_INTERVAL_MS:
            points = self._recovery_points()
            if points != self._checkpointed_recovery:
                self._write_recovery_points(points)
            self._last_recovery_checkpoint_ms = now_ms
        if error is not None:
            raise error

    def checkpoint(self) -> None:
        """Write both checkpoint files for every open log."""
        self._write_recovery_points(self._recovery_points())
        self._write_log_starts()

    def _recovery_points(self) -> dict[TopicPartition, int]:
        return {key: lg.recovery_point for key, lg in self._logs.items()}

    def _write_recovery_points(self, points: dict[TopicPartition, int]) -> None:
        write_checkpoint(self.data_dir / RECOVERY_POINT_FILE, points)
        self._checkpointed_recovery = points

    def _write_log_starts(self) -> None:
        starts = {key: lg.log_start_offset for key, lg in self._logs.items()}
        write_checkpoint(self.data_dir / LOG_START_FILE, starts)

    def _log_start_changed(self, changed: Log) -> None:
        self._write_log_starts()

    def _read(self, name: str) -> dict[TopicPartition, int]:
        try:
            return read_checkpoint(self.data_dir / name)
        except CorruptCheckpointError as e:
            log.warning("%s; ignoring it", e)
            return {}


def _check_name(topic: str, partition: int) -> None:
    """Topic names become directory names: refuse anything that is not a plain name."""
    if not topic or topic in (".", "..") or any(c in topic for c in "/\\\0 \n") or partition < 0:
        raise ValueError(f"not a valid partition name: {topic!r} {partition}")
