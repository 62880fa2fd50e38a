"""The metadata log on disk, and the image it replays into.

Storage format (the decision, kept here so it is not lost):

* ``<data dir>/__cluster_metadata-0/00000000000000000000.log`` is one append-only file of v2
  record batches, the same format as partition logs, so the Raft quorum can later replicate
  exactly these batches. Each commit is one batch (atomic: a multi-record change lands whole
  or not at all); each record's key is null and its value an encoded metadata record
  (records.py). Offsets are contiguous from 0.
* Every commit is fsynced before it is applied or acknowledged: metadata is small and losing
  it loses topics. A failed write is cut back off the file so the next commit does not land
  behind garbage.
* On open, each batch is checked (header, CRC-32C, contiguous offsets). A torn or corrupt tail
  (a crash mid-write) is truncated with a warning. A batch that is intact but holds a record
  this broker cannot read or apply is NOT truncated: that would destroy metadata written by a
  newer version; it is a MetadataStoreError instead.
* ``<data dir>/meta.properties`` (Kafka's key=value format: ``version=1``, ``cluster.id``,
  ``node.id``) pins the cluster and node ids to the data directory. The cluster id is
  generated on first start, as Kafka does, unless configured.
"""

from __future__ import annotations

import base64
import logging
import os
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from broker.log.atomic import write_atomically
from broker.metadata import records as mr
from broker.metadata.image import MetadataImage
from broker.protocol import records

log = logging.getLogger("broker.metadata")

Listener = Callable[[list[mr.MetadataRecord], MetadataImage], None]

LOG_DIR_NAME = "__cluster_metadata-0"
LOG_FILE_NAME = f"{0:020d}.log"
META_PROPERTIES = "meta.properties"


class MetadataStoreError(RuntimeError):
    """The data directory cannot be used: another node's or cluster's, or unreadable."""


def new_cluster_id() -> str:
    """A random UUID in URL-safe base64 without padding (22 characters), like Kafka's.

    Kafka never hands out an id starting with '-' (command lines would take it for an option).
    """
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def read_properties(path: Path) -> dict[str, str]:
    props = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "!")) and "=" in line:
            k, _, v = line.partition("=")
            props[k.strip()] = v.strip()
    return props


def write_properties(path: Path, props: dict[str, str]) -> None:
    """Replace the file all or nothing (see broker.log.atomic)."""
    header = "#Written by kctl; pins this data directory to one cluster and node.\n"
    write_atomically(path, header + "".join(f"{k}={v}\n" for k, v in props.items()))


def check_meta_properties(data_dir: Path, node_id: int, cluster_id: str | None) -> str:
    """The cluster id of ``data_dir``, creating meta.properties on first use."""
    path = data_dir / META_PROPERTIES
    if not path.exists():
        cluster_id = cluster_id or new_cluster_id()
        write_properties(path, {"version": "1", "cluster.id": cluster_id, "node.id": str(node_id)})
        return cluster_id
    try:
        props = read_properties(path)
    except (OSError, UnicodeDecodeError) as e:
        raise MetadataStoreError(f"cannot read {path}: {e}") from None
    if props.get("version") != "1":
        raise MetadataStoreError(f"{path}: version {props.get('version')!r} is not 1")
    stored_cluster, stored_node = props.get("cluster.id"), props.get("node.id", "")
    if not stored_cluster or not stored_node.lstrip("-").isdigit():
        raise MetadataStoreError(f"{path} lacks a cluster.id or a numeric node.id")
    if int(stored_node) != node_id:
        raise MetadataStoreError(
            f"{data_dir} belongs to node {stored_node}, but node.id is {node_id} "
            "(use that node.id, or another data directory)"
        )
    if cluster_id and cluster_id != stored_cluster:
        raise MetadataStoreError(
            f"{data_dir} belongs to cluster {stored_cluster}, but cluster.id is {cluster_id}"
        )
    return stored_cluster


class MetadataStore:
    """The metadata log: replayed on open, appended and fsynced on each commit."""

    def __init__(self, path: Path, cluster_id: str, node_id: int) -> None:
        self.path = path
        self.cluster_id = cluster_id
        self.node_id = node_id
        self.image = MetadataImage()
        self.next_offset = 0
        self._listeners: list[Listener] = []
        self._file: BinaryIO | None = None
        self._size = 0
        self._lock = threading.Lock()

    @classmethod
    def open(cls, data_dir: Path, *, node_id: int, cluster_id: str | None = None) -> MetadataStore:
        """Check meta.properties (creating it on first start), then replay the log."""
        data_dir.mkdir(parents=True, exist_ok=True)
        cluster_id = check_meta_properties(data_dir, node_id, cluster_id)
        log_dir = data_dir / LOG_DIR_NAME
        log_dir.mkdir(exist_ok=True)
        store = cls(log_dir / LOG_FILE_NAME, cluster_id, node_id)
        store._replay()
        store._file = open(store.path, "ab", buffering=0)  # noqa: SIM115 - lives with the store
        return store

    def _replay(self) -> None:
        data = self.path.read_bytes() if self.path.exists() else b""
        pos = 0
        while pos < len(data):
            try:
                h = records.parse_header(data, pos)
                records.validate_batch(data, pos, h)
                if h.base_offset != self.next_offset:
                    raise records.CorruptRecordError(
                        f"offset {h.base_offset} where {self.next_offset} was expected"
                    )
                batch = records.decode_batch(data, pos)
            except records.CorruptRecordError as e:
                self._truncate_tail(pos, len(data) - pos, e)
                break
            try:
                # applied in place, not staged: a batch that does not apply stops the start-up
                for rec in batch.records:
                    self.image.apply(mr.decode(rec.value or b""))
            except mr.MetadataRecordError as e:
                raise MetadataStoreError(
                    f"{self.path}: intact batch at offset {h.base_offset} cannot be replayed: {e}"
                ) from None
            self.next_offset = h.next_offset
            pos += h.size
        self._size = pos

    def _truncate_tail(self, pos: int, size: int, why: Exception) -> None:
        log.warning("metadata log %s: truncating %d bytes at %d: %s", self.path, size, pos, why)
        with open(self.path, "r+b") as f:
            f.truncate(pos)
            os.fsync(f.fileno())

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(records, image)`` after each commit."""
        self._listeners.append(listener)

    def stage(self, recs: list[mr.MetadataRecord]) -> MetadataImage:
        """The image the records would produce; raises MetadataRecordError if they do not fit."""
        staged = self.image.copy()
        for rec in recs:
            staged.apply(rec)
        return staged

    def commit(self, recs: list[mr.MetadataRecord]) -> None:
        """Append the records as one batch and fsync, then apply them and tell the listeners.

        Raises MetadataRecordError (nothing written) if they do not fit the image, and OSError
        if the write fails (the file is cut back; nothing applied).
        """
        if not recs:
            return
        with self._lock:
            if self._file is None:
                raise RuntimeError("the metadata store is closed")
            staged = self.stage(recs)
            batch = records.build_batch(
                [(None, mr.encode(rec)) for rec in recs], base_offset=self.next_offset
            )
            try:
                self._file.write(batch)
                os.fsync(self._file.fileno())
            except OSError:
                self._cut_back()
                raise
            self._size += len(batch)
            self.next_offset += len(recs)
            self.image = staged
        for listener in self._listeners:
            try:
                listener(recs, staged)
            except Exception:  # the commit stands; one failing listener must not hide it
                log.exception("metadata listener %r failed", listener)

    def _cut_back(self) -> None:
        assert self._file is not None
        try:
            os.ftruncate(self._file.fileno(), self._size)
            os.fsync(self._file.fileno())
        except OSError:
            # The log may now end in a partial batch; replay would drop it, but a later
            # append behind it would be lost too, so refuse further commits.
            log.exception("metadata log %s: cannot cut back a failed write", self.path)
            self._file.close()
            self._file = None

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
