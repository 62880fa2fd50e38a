"""The ``kctl`` root command: global options, command groups, and the exception boundary.

Every module in ``COMMAND_MODULES`` (under ``kctl.commands``) exposes
``register(app: typer.Typer) -> None`` and adds its command group to the root app.
``main()`` is the console entry point; it turns every failure into one line on stderr and a
documented exit code (see ``kctl.console.ExitCode``) and never prints a traceback.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from typing import Annotated

import typer
from confluent_kafka import KafkaException

from kctl import console, options
from kctl.client import kafka_error
from kctl.console import EXIT_CODES_HELP, ExitCode, KctlError, error_line

COMMAND_MODULES = (
    "topics", "produce", "consume", "groups", "configs", "cluster", "log", "perf",
    "profile", "completion", "broker",
)

HELP = """Administer Kafka-compatible clusters: topics, records, groups, configs, health.

Global options go before the command group or after the subcommand alike:
`kctl -b HOST:9092 topics list` is `kctl topics list -b HOST:9092`.
"""

EPILOG = (
    "Examples:  kctl topics create orders -p 3  |  echo hi | kctl produce orders  |  "
    "kctl consume orders --from beginning -e  |  kctl groups describe billing\n\n"
    + EXIT_CODES_HELP
)


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="kctl",
        help=HELP,
        epilog=EPILOG,
        no_args_is_help=True,
        add_completion=False,  # `kctl completion install|show` replaces Typer's flags
        pretty_exceptions_enable=False,
        # Plain click help when piped or NO_COLOR (and for man pages); rich boxes otherwise.
        rich_markup_mode=None if console.plain(sys.stdout) else "rich",
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    @options.global_options(root=True)
    def root(
        version: Annotated[
            bool, typer.Option("--version", help="Print kctl's version and exit.", is_eager=True)
        ] = False,
    ) -> None:
        if version:
            from importlib.metadata import version as dist_version

            typer.echo(f"kctl {dist_version('kctl')}")
            raise typer.Exit()

    for name in COMMAND_MODULES:
        module_name = f"kctl.commands.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            # Tolerated only while the command modules are being written in parallel.
            if e.name == module_name:
                continue
            raise
        module.register(app)
    return app


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run kctl, exit with its code, never show a traceback."""
    # Typer vendors click as typer._click; it re-exports no base class for usage errors.
    from typer._click import exceptions as click_exc

    try:
        command = typer.main.get_command(build_app())
        rv = command.main(args=argv, prog_name="kctl", standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
    except KctlError as e:
        code = _report(e.message, e.code)
    except click_exc.UsageError as e:
        e.show()
        code = ExitCode.USAGE
    except click_exc.ClickException as e:
        e.show()
        code = e.exit_code
    except typer.Abort:
        code = ExitCode.INTERRUPTED
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        code = ExitCode.INTERRUPTED
    except KafkaException as e:
        err = kafka_error(e)
        code = _report(err.message, err.code)
    except BrokenPipeError:
        _quiet_stdout()
        code = ExitCode.OK
    except OSError as e:
        if e.errno == 32:  # EPIPE seen through another wrapper
            _quiet_stdout()
            code = ExitCode.OK
        else:
            code = _report(f"{e.strerror or e}: {e.filename or ''}".rstrip(": "), ExitCode.ERROR)
    except Exception as e:  # the boundary: a bug must still not print a traceback
        if os.environ.get("KCTL_DEBUG"):
            raise
        code = _report(f"internal error: {type(e).__name__}: {e} (KCTL_DEBUG=1 shows where)",
                       ExitCode.ERROR)
    _flush()
    raise SystemExit(int(code))


def _report(message: str, code: int) -> int:
    with contextlib.suppress(OSError):
        print(error_line(message), file=sys.stderr, flush=True)
    return code


def _quiet_stdout() -> None:
    # Python flushes stdout at exit; when the reader has gone that raises again, so point
    # stdout at /dev/null (the usual recipe for `kctl ... | head`).
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _flush() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
    except (OSError, ValueError):
        pass
