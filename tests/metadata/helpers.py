from __future__ import annotations

from pathlib import Path

from broker.config import load_config
from broker.metadata.controller import Controller
from broker.metadata.store import MetadataStore


def open_controller(data_dir: Path, *overrides: str) -> Controller:
    return Controller(MetadataStore.open(data_dir, node_id=1), load_config(None, list(overrides)))


def log_file(data_dir: Path) -> Path:
    return data_dir / "__cluster_metadata-0" / f"{0:020d}.log"
