"""`kctl produce`: send lines, lossless JSONL, an interactive prompt or a followed file."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from confluent_kafka import KafkaError

from kctl.client import connect, exit_code_for
from kctl.completers import complete_topics
from kctl.console import ExitCode, KctlError, fail, info, warn
from kctl.delivery import DeliveryStats, Sender, parse_rate
from kctl.jsonl_format import JsonlError, read_records
from kctl.line_input import LineParser, iter_lines, parse_header, unescape_delimiter
from kctl.name_args import given_once
from kctl.options import global_options, require_writable, settings
from kctl.output import print_doc
from kctl.record import Record
from kctl.stop_signal import SigtermStops, Terminated

ACKS = ("0", "1", "all")
COMPRESSIONS = ("none", "gzip", "snappy", "lz4", "zstd")
INPUTS = ("lines", "jsonl")


def producer_settings(acks: str, compression: str) -> dict[str, Any]:
    """librdkafka settings for kctl's producer.

    Idempotence (no duplicates from librdkafka's retries, per-partition order kept) needs
    acks=all, so it is on exactly when acks=all (the default).
    """
    return {
        "acks": acks,
        "compression.type": compression,
        "enable.idempotence": acks == "all",
        "linger.ms": 5,
        # kctl never creates a topic by naming it (a broker with auto.create.topics.enable
        # would): unknown topics are refused before sending, this covers a race.
        "allow.auto.create.topics": False,
    }


@dataclass(frozen=True)
class Target:
    """Where each record goes: the command's topic/partition, else the record's own."""

    topic: str | None
    partition: int | None
    repartition: bool = False

    def route(self, record: Record) -> tuple[str | None, int | None]:
        # JSONL input without a command-line topic is read with require_topic=True.
        topic = self.topic or record.topic
        if self.partition is not None:
            return topic, self.partition
        return topic, None if self.repartition else record.partition


@dataclass
class KnownTopics:
    """The topics that exist, for JSONL records that name their own: a record naming
    another topic fails (exit 4 if all do) instead of auto-creating it."""

    list_names: Callable[[], Iterable[str]]
    names: set[str] = field(default_factory=set)
    looked_up: set[str] = field(default_factory=set)

    def __contains__(self, name: str) -> bool:
        if name not in self.names and name not in self.looked_up:
            # Ask again once per unknown name: the topic may have been created meanwhile.
            self.looked_up.add(name)
            self.names = set(self.list_names())
        return name in self.names


def unknown_topic(topic: str) -> KafkaError:
    return KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART, f"topic {topic!r} does not exist")


@dataclass
class ProduceOutcome:
    stats: DeliveryStats
    error: JsonlError | None = None  # a malformed input line stopped the input early
    stopped: int | None = None  # exit code when Ctrl-C (130) or SIGTERM (143) stopped it


def _binary_lines(path: Path | None) -> Iterator[bytes]:
    if path is None:
        yield from sys.stdin.buffer
        return
    with open(path, "rb") as f:
        yield from f


def produce_records(
    producer: Any,
    target: Target,
    records: Iterable[Record],
    rate: float | None,
    flush_timeout: float,
    after_each: Any = None,
    known_topics: KnownTopics | None = None,
) -> ProduceOutcome:
    """Send records as they come; on bad input, Ctrl-C or SIGTERM stop there, but still wait
    for the delivery reports of everything already sent, so the summary and exit code are
    true (`timeout 60 kctl produce ...` must not drop what librdkafka still holds)."""
    sender = Sender(producer, rate=rate)
    outcome = ProduceOutcome(sender.stats)
    with SigtermStops() as sigterm:
        try:
            for record in records:
                topic, partition = target.route(record)
                if known_topics is not None and topic not in known_topics:
                    cause = unknown_topic(topic or "")
                    sender.stats.note_failure(f"{topic}: {cause.str()}", cause)
                    continue
                sender.send(record, topic or "", partition)
                if after_each is not None:
                    after_each(sender)
        except JsonlError as e:
            outcome.error = e
        except KeyboardInterrupt:
            outcome.stopped = ExitCode.INTERRUPTED
        except Terminated as e:
            outcome.stopped = e.exit_code
        with sigterm.held(resume=False):  # a second SIGTERM while flushing kills at once
            sender.finish(flush_timeout)
    if sigterm.signum is not None:
        # Also when watchfiles (--follow) turned the signal's exception into Ctrl-C's.
        outcome.stopped = 128 + sigterm.signum
    return outcome


def summary_line(stats: DeliveryStats) -> str:
    text = f"{stats.acked} record(s) produced"
    if stats.failed:
        text += f", {stats.failed} failed"
    return text


def delivery_failure(stats: DeliveryStats) -> KctlError:
    """The error when no record was acknowledged: the first failure's reason, readable, with
    the exit code for that kind of error (7 too large or invalid, 6 denied, 4 unknown
    topic or partition, 5 no answer)."""
    cause = stats.first_cause
    detail = stats.errors[0] if stats.errors else "no reason given"
    code = ExitCode.ERROR
    if isinstance(cause, KafkaError):
        code = exit_code_for(cause)
        # "Broker: " only says who refused, which "t[p]: ... (CODE_NAME)" already implies.
        detail = detail.replace(": Broker: ", ": ", 1)
        if cause.name() not in detail:
            detail += f" ({cause.name()})"
    return KctlError(f"no record was produced ({stats.failed} failed): {detail}", code)


def line_records(parser: LineParser, lines: Iterable[bytes]) -> Iterator[Record]:
    for line in iter_lines(lines):
        yield parser.parse(line)


def followed_records(
    parser: LineParser, path: Path, announce: Any, stop: threading.Event | None = None
) -> Iterator[Record]:
    from kctl.follow import follow_lines

    batches = follow_lines(path, stop)
    for line in next(batches):  # the first poll positions at the end of the file
        yield parser.parse(line)
    announce(f"following {path} (Ctrl-C to stop)")
    for batch in batches:
        for line in batch:
            yield parser.parse(line)


def register(app: typer.Typer) -> None:
    @app.command("produce", no_args_is_help=False)
    @global_options()
    def produce(
        ctx: typer.Context,
        topic: Annotated[
            str | None,
            typer.Argument(
                metavar="TOPIC",
                help="Topic to write to (for --input jsonl, default: each record's; topics must "
                "exist).",
                autocompletion=complete_topics,
            ),
        ] = None,
        topic_opt: Annotated[
            str | None,
            typer.Option(
                "--topic",
                "-t",
                metavar="TOPIC",
                help="Same as TOPIC; overrides the topic of JSONL input.",
                autocompletion=complete_topics,
            ),
        ] = None,
        file: Annotated[
            Path | None,
            typer.Option(
                "--file",
                "-f",
                metavar="FILE",
                help="Read input from this file instead of stdin.",
                exists=True,
                dir_okay=False,
            ),
        ] = None,
        input_format: Annotated[
            str,
            typer.Option(
                "--input",
                "-i",
                metavar="lines|jsonl",
                help="lines (one record per line) or jsonl (kctl's "
                "lossless record format, as written by `consume -o jsonl`).",
            ),
        ] = "lines",
        key_delimiter: Annotated[
            str | None,
            typer.Option(
                "--key-delimiter",
                "-K",
                metavar="D",
                help="Split each line at the first D: key "
                "before, value after (\\t for tab). Lines without D have no key.",
            ),
        ] = None,
        header: Annotated[
            list[str] | None,
            typer.Option(
                "--header",
                "-H",
                metavar="NAME=VALUE",
                help="Add a header to every record (repeatable, order kept).",
            ),
        ] = None,
        partition: Annotated[
            int | None,
            typer.Option(
                "--partition",
                "-p",
                metavar="N",
                min=0,
                help="Write to this partition "
                "(default: by key hash; for JSONL, the record's partition).",
            ),
        ] = None,
        repartition: Annotated[
            bool,
            typer.Option(
                "--repartition", help="Ignore partitions in JSONL input; partition by key instead."
            ),
        ] = False,
        acks: Annotated[
            str,
            typer.Option(
                "--acks", metavar="0|1|all", help="0, 1 or all (all enables idempotence)."
            ),
        ] = "all",
        compression: Annotated[
            str,
            typer.Option(
                "--compression", "-z", metavar="CODEC", help="none, gzip, snappy, lz4 or zstd."
            ),
        ] = "none",
        null_value: Annotated[
            str | None,
            typer.Option(
                "--null-value",
                metavar="STR",
                help="A value equal to STR is sent as null (a tombstone).",
            ),
        ] = None,
        interactive: Annotated[
            bool,
            typer.Option(
                "--interactive",
                help="Prompt for records (history; multi-line JSON); Ctrl-D ends. With stdin "
                "not a terminal, lines are read plainly, as without --interactive.",
            ),
        ] = False,
        follow: Annotated[
            Path | None,
            typer.Option(
                "--follow",
                metavar="FILE",
                help="Tail FILE like `tail -F`: send "
                "each new line, surviving rotation and truncation; Ctrl-C stops.",
            ),
        ] = None,
        rate: Annotated[
            str | None,
            typer.Option(
                "--rate", metavar="N/s", help="Send at most N records per second (also N/m, N/h)."
            ),
        ] = None,
        quiet: Annotated[
            bool, typer.Option("--quiet", "-q", help="No summary line on stderr.")
        ] = False,
    ) -> None:
        """Produce records from stdin, a file, a prompt, or a followed file.

        Every record must be acknowledged: the exit code is non-zero if any was not (3 if
        some were, else the code for the reason, e.g. 7 too large, 6 denied), and a summary
        goes to stderr; with -o json|yaml|jsonl it goes to stdout as {"produced": N,
        "failed": M}. A keyed record goes to the partition the Java client would choose
        (murmur2), so kctl and Java producers agree on where a key lives. Examples:

          printf 'k1:v1\\nk2:v2\\n' | kctl produce orders -K :

          kctl consume orders -o jsonl -e | kctl produce --input jsonl --topic orders-copy
        """
        s = settings(ctx)
        require_writable(s, "produce")
        target_topic = given_once(topic, topic_opt)
        checks = [
            (acks in ACKS, f"--acks must be one of {', '.join(ACKS)}"),
            (
                compression in COMPRESSIONS,
                f"--compression must be one of {', '.join(COMPRESSIONS)}",
            ),
            (input_format in INPUTS, f"--input must be one of {', '.join(INPUTS)}"),
            (
                sum(map(bool, (file, interactive, follow))) <= 1,
                "give at most one of --file, --interactive and --follow",
            ),
            (
                input_format == "lines"
                or not (interactive or follow or key_delimiter or null_value),
                "--input jsonl carries keys, nulls and headers itself; it takes no --interactive, "
                "--follow, --key-delimiter or --null-value",
            ),
            (input_format == "jsonl" or target_topic, "give the topic: kctl produce TOPIC"),
        ]
        if follow is not None:
            # tail -F waits for a missing file, but only in a directory that exists.
            checks.append((not follow.is_dir(), f"--follow {follow}: is a directory"))
            checks.append(
                (follow.parent.is_dir(), f"--follow {follow}: no directory {follow.parent}")
            )
        for ok, message in checks:
            if not ok:
                fail(message, ExitCode.USAGE)
        try:
            per_second = parse_rate(rate) if rate else None
            headers = tuple(parse_header(h) for h in header or ())
        except ValueError as e:
            fail(str(e), ExitCode.USAGE)
        parser = LineParser(
            key_delimiter=unescape_delimiter(key_delimiter) if key_delimiter else None,
            null_value=null_value.encode() if null_value is not None else None,
            headers=headers,
        )

        cluster = connect(s)
        if target_topic:
            # An unknown topic or an unreachable cluster fails here, before reading input.
            topic_info = cluster.topic(target_topic)
            if partition is not None and partition >= len(topic_info.partitions):
                fail(
                    f"topic {target_topic!r} has no partition {partition} "
                    f"(it has {len(topic_info.partitions)})",
                    ExitCode.NOT_FOUND,
                )
            known_topics = None
        else:
            known_topics = KnownTopics(lambda: [t.name for t in cluster.topics(internal=True)])
            known_topics.names = set(known_topics.list_names())
        producer = cluster.producer(**producer_settings(acks, compression))
        target = Target(target_topic, partition, repartition)

        after_each = None
        if input_format == "jsonl":
            records: Iterable[Record] = read_records(
                _binary_lines(file), require_topic=not target_topic
            )
        elif interactive and sys.stdin.isatty():
            from kctl.interactive_input import prompt_records

            records = prompt_records(parser, Path(typer.get_app_dir("kctl")) / "produce_history")

            def after_each(sender: Sender) -> None:
                # Confirm each record as it is typed: wait for its acknowledgement.
                sender.producer.flush(cluster.timeout)
                if sender.stats.last:
                    t, p, o = sender.stats.last
                    info(f"-> {t}[{p}] offset {o}")
        elif follow:
            records = followed_records(parser, follow, info)
        else:
            records = line_records(parser, _binary_lines(file))

        outcome = produce_records(
            producer, target, records, per_second, max(cluster.timeout, 30.0), after_each,
            known_topics,
        )
        stats = outcome.stats
        all_failed = stats.failed and not stats.acked
        # When every record failed, the error line says why; warn only of other reasons.
        for message in stats.errors[1:] if all_failed else stats.errors:
            warn(f"delivery failed: {message}")
        if s.output != "table":
            print_doc({"produced": stats.acked, "failed": stats.failed}, s.output,
                      table=lambda _: None)
        elif not quiet:
            info(summary_line(stats))
        if outcome.error is not None:
            fail(
                f"malformed JSONL input, {outcome.error}; nothing after it was sent",
                ExitCode.INVALID,
            )
        if outcome.stopped is not None:
            raise typer.Exit(outcome.stopped)
        if all_failed:
            raise delivery_failure(stats)
        if stats.failed:
            fail(f"{stats.failed} record(s) were not acknowledged", ExitCode.PARTIAL)
