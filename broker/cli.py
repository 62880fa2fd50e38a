"""Command-line entry for the broker: options, logging, event loop, signals.

`kctl broker start` and `python -m broker` both land here. Options map onto Apache Kafka
broker config names (--listen -> listeners, --data-dir -> log.dirs, --node-id -> node.id),
applied on top of --config FILE.toml, and --set KEY=VALUE overrides anything.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from broker.allocator import keep_request_buffers
from broker.config import ConfigError, load_config, parse_listener
from broker.fd_limit import raise_open_files_limit
from broker.security.credentials import parse_add_scram


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m broker", description="Run the kctl broker in the foreground."
    )
    add_arguments(p)
    return p


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", help="log directory (log.dirs); default: per-user data dir")
    p.add_argument(
        "--listen",
        type=listen_address,
        help="HOST:PORT to listen on (listeners); default 127.0.0.1:9092",
    )
    p.add_argument("--node-id", type=int, help="this broker's node.id (default 1)")
    p.add_argument("--config", type=Path, help="TOML file of broker configs (Kafka names)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override any broker config, e.g. --set num.partitions=3",
    )
    p.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")
    p.add_argument(
        "--add-scram",
        action="append",
        default=[],
        metavar="'SCRAM-SHA-256=[name=NAME,password=PASSWORD]'",
        help="create this SCRAM credential at start unless the user has one for the mechanism "
        "(kafka-storage's syntax; repeatable); bootstraps a SASL-only cluster",
    )


def listen_address(text: str) -> str:
    """--listen's value, checked here so that a bad one is blamed on --listen (it becomes
    the ``listeners`` override)."""
    try:
        parse_listener(f"PLAINTEXT://{text}")
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:9092)"
        ) from None
    return text


def overrides_from(args: argparse.Namespace) -> list[str]:
    overrides = []
    if args.listen:
        overrides.append(f"listeners=PLAINTEXT://{args.listen}")
    if args.data_dir:
        overrides.append(f"log.dirs={args.data_dir}")
    if args.node_id is not None:
        overrides.append(f"node.id={args.node_id}")
    return overrides + list(args.set)


def run(
    config_path: Path | None,
    overrides: list[str],
    log_level: str = "INFO",
    add_scram: list[str] | None = None,
) -> int:
    logging.basicConfig(
        level=log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config = load_config(config_path, overrides)
        users = [parse_add_scram(spec) for spec in add_scram or []]
    except ConfigError as e:
        print(f"broker: error: {e}", file=sys.stderr)
        return 2
    except ValueError as e:
        print(f"broker: error: --add-scram {e}", file=sys.stderr)
        return 2
    keep_request_buffers()
    raise_open_files_limit()
    try:
        import uvloop
    except ImportError:
        uvloop = None
    runner = uvloop.run if uvloop is not None else asyncio.run
    try:
        return runner(_serve(config, users))
    except KeyboardInterrupt:
        return 0


async def _serve(config, users: list[tuple[int, str, str, int]]) -> int:
    from broker.node import Broker

    try:
        broker = Broker(config, add_scram=users)
    except ConfigError as e:  # a TLS store that cannot be loaded, and the like
        print(f"broker: error: {e}", file=sys.stderr)
        return 2
    try:
        await broker.start()
    except OSError as e:
        print(f"broker: error: cannot start: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # a startup failure is one clear line, then the log has the rest
        logging.getLogger("broker").exception("startup failed")
        print(f"broker: error: cannot start: {e}", file=sys.stderr)
        return 1
    for spec in broker.listeners.values():
        kind = spec.name if spec.name == spec.protocol else f"{spec.name}, {spec.protocol}"
        print(f"kctl broker listening on {spec.host}:{spec.port} ({kind})", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    logging.getLogger("broker").info("shutting down")
    await broker.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run(args.config, overrides_from(args), args.log_level, args.add_scram)
