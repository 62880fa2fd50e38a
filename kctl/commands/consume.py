"""`kctl consume`: read records from any offset or time, filtered, in any output format."""

from __future__ import annotations

import sys
import time
from typing import Annotated

import typer

from kctl import options
from kctl.client import connect
from kctl.console import ExitCode, fail, warn
from kctl.consume_run import ConsumeRequest, ConsumeRun, UnknownTopicError
from kctl.format_template import TEMPLATE_ENCODINGS, parse_template
from kctl.name_args import TopicsArg, TopicsOpt, names
from kctl.offsets import parse_from, parse_to
from kctl.record import Record
from kctl.record_filter import build_filter
from kctl.record_sink import RecordSink
from kctl.stop_signal import SigtermStops, Terminated

ISOLATIONS = ("read_uncommitted", "read_committed")
DEFAULT_FORMAT = "%v\\n"


def register(app: typer.Typer) -> None:
    @app.command("consume")
    @options.global_options()
    def consume(
        ctx: typer.Context,
        topic_args: TopicsArg = None,
        topic_opts: TopicsOpt = None,
        from_: Annotated[
            str | None,
            typer.Option(
                "--from",
                metavar="SPEC",
                help="Where to start: beginning | end | OFFSET | -N (N before the end of "
                "each partition) | @TIMESTAMP_MS | @ISO-8601 | @-1h (relative). Default: "
                "beginning; with --group, the committed offsets.",
            ),
        ] = None,
        from_beginning: Annotated[
            bool,
            # kafka-console-consumer's flag, for the hands that type it: what kctl does anyway
            # (the beginning; in a group, partitions without a committed offset)
            typer.Option("--from-beginning", hidden=True),
        ] = False,
        to: Annotated[
            str | None,
            typer.Option(
                "--to",
                metavar="SPEC",
                help="Stop before this bound: OFFSET | end | @TIMESTAMP_MS | @ISO-8601 | @-1h; "
                "never past each partition's end at start (records not yet written are not "
                "waited for).",
            ),
        ] = None,
        partition: Annotated[
            list[int] | None,
            typer.Option(
                "--partition", "-p", metavar="N", min=0,
                help="Only this partition (repeatable).",
            ),
        ] = None,
        count: Annotated[
            int | None, typer.Option(
                "--count", "-n", metavar="N", min=1,
                help="Stop after N records.",
            )
        ] = None,
        exit_at_end: Annotated[
            bool,
            typer.Option(
                "--exit-at-end",
                "-e",
                help="Stop when every partition reached the end offset it had at start.",
            ),
        ] = False,
        group: Annotated[
            str | None,
            typer.Option(
                "--group", "-g", metavar="GROUP",
                help="Consume as a member of this group and commit offsets "
                "(refused under a read-only profile)."
            ),
        ] = None,
        format_: Annotated[
            str | None,
            typer.Option(
                "--format",
                metavar="TEMPLATE",
                help="kcat-like template: %t topic, %p partition, %o offset, %k key, %v value, "
                "%h headers, %T timestamp, %K/%S key/value length, %%; \\n \\t escapes. "
                "Default (without -o): '%v\\n'.",
            ),
        ] = None,
        key_encoding: Annotated[
            str,
            typer.Option(
                "--key-encoding",
                metavar="raw|hex|base64",
                help="raw, hex or base64 (raw: bytes as they are in templates, UTF-8 or "
                "base64 per field in JSON).",
            ),
        ] = "raw",
        value_encoding: Annotated[
            str,
            typer.Option(
                "--value-encoding", metavar="raw|hex|base64",
                help="raw, hex or base64 for values and header values."
            ),
        ] = "raw",
        grep_key: Annotated[
            str | None,
            typer.Option("--grep-key", metavar="REGEX", help="Only records whose key matches."),
        ] = None,
        grep_value: Annotated[
            str | None,
            typer.Option("--grep-value", metavar="REGEX", help="Only records whose value matches."),
        ] = None,
        header_filter: Annotated[
            list[str] | None,
            typer.Option(
                "--header-filter",
                metavar="NAME=REGEX",
                help="Only records with a header NAME whose value matches (repeatable: all).",
            ),
        ] = None,
        isolation: Annotated[
            str,
            typer.Option(
                "--isolation", metavar="LEVEL",
                help="read_uncommitted, or read_committed (skip aborted txns)."
            ),
        ] = "read_uncommitted",
    ) -> None:
        """Consume records and print them.

        -o jsonl prints kctl's lossless record format, so

          kctl consume orders -o jsonl -e | kctl produce --input jsonl --topic copy

        copies a topic exactly. Ctrl-C stops cleanly (exit 130); a group commits first.

        Examples: kctl consume orders --from -10 -e ; kctl consume orders --from @-1h
        --format '%p:%o %k=%v\\n' ; kctl consume orders -g billing --grep-value error
        """
        topics = names(topic_args, topic_opts)
        s = options.settings(ctx)
        explicit_output = options.given(ctx).get(options.OUTPUT)
        now_ms = int(time.time() * 1000)
        if isolation not in ISOLATIONS:
            fail(f"--isolation must be one of {', '.join(ISOLATIONS)}", ExitCode.USAGE)
        for name, enc in (("--key-encoding", key_encoding), ("--value-encoding", value_encoding)):
            if enc not in TEMPLATE_ENCODINGS:
                fail(f"{name} must be one of {', '.join(TEMPLATE_ENCODINGS)}", ExitCode.USAGE)
        if format_ is not None and explicit_output:
            fail("give either --format or -o, not both", ExitCode.USAGE)
        if from_beginning and from_ is not None:
            fail("give either --from-beginning or --from, not both", ExitCode.USAGE)
        if group:
            # Joining the group rebalances its members and commits move its offsets.
            options.require_writable(s, f"consume as a member of group {group!r}")
        if group and partition:
            fail(
                "--partition assigns partitions directly; it cannot be used with --group",
                ExitCode.USAGE,
            )
        try:
            start = parse_from(from_, now_ms) if from_ is not None else None
            end = parse_to(to, now_ms) if to is not None else None
            record_filter = build_filter(grep_key, grep_value, header_filter)
            template = None
            if explicit_output is None:
                template = parse_template(
                    format_ if format_ is not None else DEFAULT_FORMAT,
                    key_encoding,
                    value_encoding,
                )
        except ValueError as e:
            fail(str(e), ExitCode.USAGE)

        cluster = connect(s)
        for topic in dict.fromkeys(topics):
            cluster.topic(topic)  # unknown topic / unreachable cluster: fail before reading
        request = ConsumeRequest(
            topics=list(dict.fromkeys(topics)),
            start=start,
            end=end,
            exit_at_end=exit_at_end,
            partitions=sorted(set(partition or ())),
            limit=count,
            group=group,
            record_filter=record_filter,
        )
        sink = RecordSink(
            "template" if template else explicit_output,
            template,
            key_encoding,
            value_encoding,
            # The default output is for reading: on a terminal, escape control characters.
            escape=format_ is None and explicit_output is None and sys.stdout.isatty(),
        )
        with SigtermStops() as sigterm:

            def output(record: Record) -> None:
                with sigterm.held():  # a record is written whole, then SIGTERM stops
                    sink(record)

            run = ConsumeRun(
                cluster.consumer,
                request,
                output,
                cluster.timeout,
                warn,
                **{"isolation.level": isolation},
            )
            stopped: ExitCode | int | None = None
            try:
                run.run()
            except UnknownTopicError as e:
                fail(str(e), ExitCode.NOT_FOUND)
            except KeyboardInterrupt:
                stopped = ExitCode.INTERRUPTED
            except Terminated as e:  # SIGTERM ends the output as Ctrl-C does
                stopped = e.exit_code
            finally:
                # Close first: with a group this commits what was output; then end the document.
                with sigterm.held(resume=False):
                    try:
                        run.close()
                    finally:
                        sink.close()
        if stopped is None and sigterm.signum is not None:  # arrived while finishing
            stopped = 128 + sigterm.signum
        if stopped is not None:
            raise typer.Exit(stopped)
