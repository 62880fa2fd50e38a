"""The metadata log on disk, and the image it replays into.

Format: ``<data dir>/__cluster_metadata-0/00000000000000000000.log``, an append-only file of
v2 record batches (the same format as partition logs), one batch per commit so a multi-record
change is atomic; each record's value is an encoded metadata record (records.py). Every
commit is fsynced: metadata is small and losing it loses topics. On open, batches are
validated (CRC, offsets) and a torn or corrupt tail is truncated with a warning.

``meta.properties`` (Kafka's format) pins the cluster id and node id to the data directory.
"""

from __future__ import annotations

import base64
import logging
import os
import uuid
from collections.abc import Callable
from pathlib import Path

from broker.metadata import records as mr
from broker.metadata.image import MetadataImage
from broker.protocol import records

log = logging.getLogger("broker.metadata")

Listener = Callable[[list[object], MetadataImage], None]


class MetadataStoreError(RuntimeError):
    """The data directory belongs to another node or cluster."""


def new_cluster_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def read_properties(path: Path) -> dict[str, str]:
    props = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#") and "=" in line:
            k, _, v = line.partition("=")
            props[k.strip()] = v.strip()
    return props


class MetadataStore:
    def __init__(self, path: Path, cluster_id: str, node_id: int) -> None:
        self.path = path
        self.cluster_id = cluster_id
        self.node_id = node_id
        self.image = MetadataImage()
        self.next_offset = 0
        self.listeners: list[Listener] = []
        self._file = None

    @classmethod
    def open(cls, data_dir: Path, *, node_id: int, cluster_id: str | None = None) -> MetadataStore:
        data_dir.mkdir(parents=True, exist_ok=True)
        props_path = data_dir / "meta.properties"
        if props_path.exists():
            props = read_properties(props_path)
            stored_node = int(props.get("node.id", node_id))
            if stored_node != node_id:
                raise MetadataStoreError(
                    f"{data_dir} belongs to node {stored_node}, not node {node_id}"
                )
            if cluster_id and props.get("cluster.id") != cluster_id:
                raise MetadataStoreError(
                    f"{data_dir} belongs to cluster {props.get('cluster.id')}, not {cluster_id}"
                )
            cluster_id = props["cluster.id"]
        else:
            cluster_id = cluster_id or new_cluster_id()
            tmp = props_path.with_suffix(".tmp")
            tmp.write_text(f"version=1\ncluster.id={cluster_id}\nnode.id={node_id}\n")
            os.replace(tmp, props_path)
        log_dir = data_dir / "__cluster_metadata-0"
        log_dir.mkdir(exist_ok=True)
        store = cls(log_dir / f"{0:020d}.log", cluster_id, node_id)
        store._replay()
        store._file = open(store.path, "ab")  # noqa: SIM115 - open for the store's lifetime
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
                decoded = [mr.decode(rec.value or b"") for rec in batch.records]
            except (records.CorruptRecordError, mr.MetadataRecordError) as e:
                log.warning(
                    "metadata log: truncating %d bytes at position %d: %s", len(data) - pos, pos, e
                )
                with open(self.path, "r+b") as f:
                    f.truncate(pos)
                    os.fsync(f.fileno())
                break
            for rec in decoded:
                self.image.apply(rec)
            self.next_offset = h.next_offset
            pos += h.size

    def subscribe(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def commit(self, recs: list[object]) -> None:
        """Append the records as one batch, fsync, apply them, then tell the listeners."""
        if not recs:
            return
        batch = records.build_batch(
            [(None, mr.encode(rec)) for rec in recs], base_offset=self.next_offset
        )
        assert self._file is not None
        self._file.write(batch)
        self._file.flush()
        os.fsync(self._file.fileno())
        self.next_offset += len(recs)
        for rec in recs:
            self.image.apply(rec)
        for listener in self.listeners:
            listener(recs, self.image)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
