"""`kctl broker start`: run the bundled broker in the foreground."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kctl.console import ExitCode, fail


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Run the bundled Kafka-compatible broker.", no_args_is_help=True)

    @group.command("start")
    def start(
        data_dir: Annotated[
            Path | None,
            typer.Option(
                "--data-dir", metavar="DIR",
                help="Log directory (log.dirs). Default: a per-user data directory."
            ),
        ] = None,
        listen: Annotated[
            str | None,
            typer.Option(
                "--listen", metavar="HOST:PORT",
                help="HOST:PORT to listen on. Default 127.0.0.1:9092.",
            ),
        ] = None,
        node_id: Annotated[
            int | None, typer.Option("--node-id", metavar="ID", help="This broker's node.id.")
        ] = None,
        config: Annotated[
            Path | None,
            typer.Option(
                "--config", metavar="FILE",
                help="TOML file of broker configs, keyed by Apache Kafka's names."
            ),
        ] = None,
        set_: Annotated[
            list[str] | None,
            typer.Option(
                "--set",
                metavar="KEY=VALUE",
                help="Override any broker config, e.g. --set num.partitions=3 (repeatable).",
            ),
        ] = None,
        log_level: Annotated[
            str, typer.Option("--log-level", metavar="LEVEL", help="DEBUG, INFO, WARNING, ERROR.")
        ] = "INFO",
        add_scram: Annotated[
            list[str] | None,
            typer.Option(
                "--add-scram",
                metavar="'SCRAM-SHA-256=[name=NAME,password=PASSWORD]'",
                help="Create this SCRAM user at start unless it has a credential for the "
                "mechanism (kafka-storage's syntax; repeatable).",
            ),
        ] = None,
    ) -> None:
        """Run the broker in the foreground; logs go to stderr, Ctrl-C stops it cleanly.

        Example: kctl broker start --data-dir ./data --set auto.create.topics.enable=false
        """
        # Imported here so that `kctl` stays fast for every other command.
        import argparse

        from broker.cli import listen_address, overrides_from, run

        if listen is not None:
            try:
                listen_address(listen)
            except argparse.ArgumentTypeError as e:
                fail(f"--listen {e}", ExitCode.USAGE)

        args = argparse.Namespace(listen=listen, data_dir=data_dir, node_id=node_id, set=set_ or [])
        raise typer.Exit(run(config, overrides_from(args), log_level, add_scram))

    app.add_typer(group, name="broker")
