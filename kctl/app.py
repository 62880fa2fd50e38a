"""The ``kctl`` root command: global options, command groups, and the exception boundary.

Every module in ``COMMAND_MODULES`` (under ``kctl.commands``) exposes
``register(app: typer.Typer) -> None`` and adds its command group to the root app.
``main()`` is the console entry point; it turns every failure into one line on stderr and a
documented exit code (see ``kctl.console.ExitCode``) and never prints a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import inspect
import os
import sys
from typing import Annotated, Any

import typer
import typer.completion
from confluent_kafka import KafkaException

from broker.kio_startup import skip_kio_strategies
from kctl import console, options
from kctl.client import kafka_error
from kctl.console import EXIT_CODES_HELP, ExitCode, KctlError, error_line

COMMAND_MODULES = (
    "topics", "produce", "consume", "groups", "transactions", "configs", "acls", "quotas",
    "cluster", "log", "perf", "profile", "completion", "broker", "dashboard",
)

HELP = """Administer Kafka-compatible clusters: topics, records, groups, configs, health.

Global options go before the command group or after the subcommand alike:
`kctl -b HOST:9092 topics list` is `kctl topics list -b HOST:9092`.
"""

EPILOG = (
    "Examples:\n"
    "  kctl topics create orders -p 3\n"
    "  printf 'k1:hello\\n' | kctl produce orders --key-delimiter :\n"
    "  kctl consume orders --from beginning -e\n"
    "  kctl groups describe billing\n\n"
    + EXIT_CODES_HELP
)


def build_app() -> typer.Typer:
    # Typer's completion classes answer `_KCTL_COMPLETE=complete_<shell> kctl` requests
    # (`kctl completion` replaces the --install-completion flags that would register them).
    typer.completion.completion_init()
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
            bool,
            typer.Option("--version", help="Print kctl's version and exit.", is_eager=True,
                         callback=_print_version),
        ] = False,
    ) -> None:
        # Global options are read by each command through kctl.options.settings(ctx).
        pass

    for name in COMMAND_MODULES:
        importlib.import_module(f"kctl.commands.{name}").register(app)
    return app


def _print_version(value: bool) -> None:
    # Eager, so it runs while parsing, before click insists on a command.
    if value:
        from importlib.metadata import version as dist_version

        typer.echo(f"kctl {dist_version('kctl')}")
        raise typer.Exit()


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run kctl, exit with its code, never show a traceback."""
    skip_kio_strategies()
    # Typer vendors click as typer._click; it re-exports no base class for usage errors.
    from typer._click import exceptions as click_exc

    try:
        command = typer.main.get_command(build_app())
        if console.plain(sys.stdout):
            keep_examples(command)
        rv = command.main(args=argv, prog_name="kctl", standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
    except KctlError as e:
        code = _report(e.message, e.code)
    except click_exc.NoArgsIsHelpError as e:  # `kctl` or `kctl topics` alone: the help
        e.show()
        code = ExitCode.USAGE
    except click_exc.UsageError as e:  # one line, as every other kctl error
        code = _report(_usage_line(e), ExitCode.USAGE)
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
        # The reader went away (`kctl ... | head`): stop quietly. Exit 1 as Typer does when
        # it catches the same error inside a command, so the code does not depend on where.
        _quiet_stdout()
        code = ExitCode.ERROR
    except TimeoutError:
        # A client future that outlived its wait; str() of it is empty, so say what it means.
        code = _report("the cluster gave no answer in time", ExitCode.UNREACHABLE)
    except OSError as e:
        if e.errno == errno.EPIPE:
            _quiet_stdout()
            code = ExitCode.ERROR
        else:
            code = _report(f"{e.strerror or e}: {e.filename or ''}".rstrip(": "), ExitCode.ERROR)
    except Exception as e:  # the boundary: a bug must still not print a traceback
        if os.environ.get("KCTL_DEBUG"):
            raise
        code = _report(f"internal error: {type(e).__name__}: {e} (KCTL_DEBUG=1 shows where)",
                       ExitCode.ERROR)
    _flush()
    raise SystemExit(int(code))


def keep_examples(command: Any) -> None:
    """Stop click's plain help formatter from re-wrapping example blocks.

    A paragraph with indented lines (``Examples:`` followed by command lines) gets click's
    ``\\b`` marker; rich help already keeps line breaks, and man pages format their own.
    """
    if command.help:
        paragraphs = inspect.cleandoc(command.help).split("\n\n")
        command.help = "\n\n".join(
            "\b\n" + p if any(line[:1].isspace() for line in p.splitlines()[1:]) else p
            for p in paragraphs
        )
    if command.epilog:
        command.epilog = "\n\n".join(
            "\b\n" + p if "\n  " in p else p for p in command.epilog.split("\n\n")
        )
    for sub in getattr(command, "commands", {}).values():
        keep_examples(sub)


def _usage_line(e: Exception) -> str:
    """A usage error as one line, with where to look (click prints usage and help hint
    over four lines)."""
    message = e.format_message()  # type: ignore[attr-defined]
    message = message[:1].lower() + message[1:]
    ctx = getattr(e, "ctx", None)
    return f"{message} (see '{ctx.command_path} -h')" if ctx is not None else message


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
