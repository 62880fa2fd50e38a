"""`kctl groups list|describe|reset|delete|delete-offsets`: consumer groups, lag, resets."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from confluent_kafka import KafkaException

from kctl import destructive, options, output
from kctl import group_admin as ga
from kctl.client import Cluster, connect, exit_code_for, kafka_error, unsupported
from kctl.completers import complete_groups, complete_topics
from kctl.console import ExitCode, KctlError, fail, info, warn
from kctl.name_args import names, one_name
from kctl.offset_delete import OffsetDeleteError, delete_offsets
from kctl.reset_plan import (
    CURRENT,
    DATETIME,
    DURATION,
    EARLIEST,
    FILE,
    LATEST,
    OFFSET,
    SHIFT,
    PartitionState,
    PlanError,
    PlanRow,
    ResetMode,
    TopicScope,
    build_plan,
    parse_offsets_csv,
    parse_topic_scope,
    select_partitions,
)
from kctl.timespec import parse_datetime_ms, parse_duration_ms

GroupArg = Annotated[
    str | None,
    typer.Argument(
        metavar="GROUP", help="The group (or use -g).", show_default=False,
        autocompletion=complete_groups,
    ),
]
GroupOpt = Annotated[
    str | None,
    typer.Option("--group", "-g", metavar="GROUP", help="The consumer group.",
                 autocompletion=complete_groups),
]
GroupsArg = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="GROUP",
        help="Group(s) (or use -g).",
        show_default=False,
        autocompletion=complete_groups,
    ),
]
GroupsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--group",
        "-g",
        metavar="GROUP",
        help="A group (repeatable).",
        autocompletion=complete_groups,
    ),
]
TopicOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--topic",
        "-t",
        metavar="TOPIC[:P1,P2]",
        help="Scope: a topic, optionally some of its partitions (repeatable).",
        autocompletion=complete_topics,
    ),
]


def _groups(positional: list[str] | None, options: list[str] | None) -> list[str]:
    return names(positional, options, "group", "-g")


def _one_group(positional: str | None, option: str | None) -> str:
    return one_name(positional, option, "group", "-g")


def _call(what: str, fn: Any, *args: Any) -> Any:
    """Run one admin call, turning a KafkaException into kctl's one-line error."""
    try:
        return fn(*args)
    except KafkaException as e:
        raise kafka_error(e, what) from e


def _scopes(topics: list[str] | None) -> list[TopicScope]:
    try:
        return [parse_topic_scope(t) for t in topics or ()]
    except PlanError as e:
        fail(str(e), ExitCode.USAGE)


# --- describe --------------------------------------------------------------------------------


def describe_doc(cluster: Cluster, group: str) -> dict[str, Any]:
    """Members, assignments, committed offsets and lag per partition, for one group."""
    t = cluster.timeout
    desc = _call(f"describe group {group!r}", ga.describe_group, cluster.admin(), group, t)
    committed = _call(
        f"offsets of group {group!r}", ga.committed_offsets, cluster.admin(), group, t
    )
    if desc.state == "DEAD" and not committed and not desc.members:
        fail(f"consumer group {group!r} does not exist", ExitCode.NOT_FOUND)
    owner = {tp: m for m in desc.members for tp in m.assignment}
    tps = sorted(set(committed) | set(owner))
    marks = cluster.watermarks(tps)
    rows = []
    for tp in tps:
        end = marks.get(tp, (None, None))[1]
        current = committed.get(tp)
        member = owner.get(tp)
        rows.append(
            {
                "topic": tp[0],
                "partition": tp[1],
                "committed_offset": current,
                "log_end_offset": end,
                "lag": max(end - current, 0) if end is not None and current is not None else None,
                "member_id": member.member_id if member else None,
                "client_id": member.client_id if member else None,
                "host": member.host if member else None,
            }
        )
    return {
        "group": group,
        "state": desc.state,
        "type": desc.type,
        "assignor": desc.protocol or None,
        "coordinator": desc.coordinator,
        "members": [
            {
                "member_id": m.member_id,
                "client_id": m.client_id,
                "host": m.host,
                "assignment": [f"{t}:{p}" for t, p in m.assignment],
            }
            for m in desc.members
        ],
        "partitions": rows,
        "total_lag": _total_lag(rows),
    }


def _total_lag(rows: list[dict[str, Any]]) -> int | None:
    """The sum of the known lags; None (unknown, not 0) when partitions are assigned but
    none has a committed offset yet, so `jq .total_lag` never reads a new group as caught up."""
    known = [r["lag"] for r in rows if r["lag"] is not None]
    return sum(known) if known or not rows else None


def _describe_table(doc: dict[str, Any]) -> None:
    info_line = (
        f"group {doc['group']}  state {doc['state']}  members {len(doc['members'])}  "
        f"coordinator {doc['coordinator'] or '-'}  "
        f"total lag {'-' if doc['total_lag'] is None else doc['total_lag']}"
    )
    print(info_line, flush=True)
    if doc["partitions"]:
        output.print_rows(
            doc["partitions"],
            "table",
            columns=[
                "topic",
                "partition",
                "committed_offset",
                "log_end_offset",
                "lag",
                "client_id",
                "host",
            ],
        )
    if doc["members"]:
        output.print_rows(
            doc["members"], "table", columns=["member_id", "client_id", "host", "assignment"]
        )


# --- reset -----------------------------------------------------------------------------------


def reset_mode(
    to_earliest: bool,
    to_latest: bool,
    to_offset: int | None,
    to_datetime: str | None,
    by_duration: str | None,
    shift_by: int | None,
    to_current: bool,
    from_file: Path | None,
    group: str,
) -> ResetMode:
    """Exactly one reset mode from the command line."""
    given = [
        (to_earliest, "--to-earliest"),
        (to_latest, "--to-latest"),
        (to_offset is not None, "--to-offset"),
        (to_datetime is not None, "--to-datetime"),
        (by_duration is not None, "--by-duration"),
        (shift_by is not None, "--shift-by"),
        (to_current, "--to-current"),
        (from_file is not None, "--from-file"),
    ]
    chosen = [name for on, name in given if on]
    if len(chosen) != 1:
        fail(
            "give exactly one of "
            + ", ".join(name for _, name in given)
            + (f" (got {', '.join(chosen)})" if chosen else ""),
            ExitCode.USAGE,
        )
    try:
        if to_earliest:
            return ResetMode(EARLIEST)
        if to_latest:
            return ResetMode(LATEST)
        if to_offset is not None:
            return ResetMode(OFFSET, to_offset)
        if to_datetime is not None:
            return ResetMode(DATETIME, parse_datetime_ms(to_datetime))
        if by_duration is not None:
            return ResetMode(DURATION, parse_duration_ms(by_duration))
        if shift_by is not None:
            return ResetMode(SHIFT, shift_by)
        if to_current:
            return ResetMode(CURRENT)
        assert from_file is not None
        try:
            text = from_file.read_text()
        except OSError as e:
            fail(f"cannot read {from_file}: {e.strerror or e}", ExitCode.USAGE)
        return ResetMode(FILE, file_offsets=parse_offsets_csv(text, group))
    except ValueError as e:  # PlanError is a ValueError too
        fail(str(e), ExitCode.USAGE)


def plan_reset(
    cluster: Cluster,
    group: str,
    mode: ResetMode,
    scopes: list[TopicScope],
    all_topics: bool,
    now_ms: int,
) -> list[PlanRow]:
    """Gather the facts over the wire and let kctl.reset_plan decide."""
    admin, t = cluster.admin(), cluster.timeout
    committed = _call(f"offsets of group {group!r}", ga.committed_offsets, admin, group, t)
    known = _call("list topics", ga.topic_partitions, admin, t)
    tps = select_partitions(scopes, all_topics, committed, known, mode)
    bounds = _call("list offsets", ga.log_bounds, admin, tps, t)
    states = [
        PartitionState(tp[0], tp[1], committed.get(tp), bounds[tp][0], bounds[tp][1]) for tp in tps
    ]
    instant = mode.target_timestamp(now_ms)
    time_offsets = None
    if instant is not None:
        time_offsets = _call("offsets for time", ga.offsets_for_time, admin, tps, instant, t)
    return build_plan(mode, states, time_offsets)


PLAN_COLUMNS = [
    "topic",
    "partition",
    "current_offset",
    "new_offset",
    "log_end_offset",
    "lag_before",
    "lag_after",
]


def _require_inactive(cluster: Cluster, group: str, action: str) -> None:
    desc = _call(
        f"describe group {group!r}", ga.describe_group, cluster.admin(), group, cluster.timeout
    )
    if desc.active:
        fail(
            f"group {group!r} is active (state {desc.state}, {len(desc.members)} member(s)); "
            f"Kafka lets you {action} only when the group is empty: stop its consumers first",
            ExitCode.ERROR,
        )


def register(app: typer.Typer) -> None:
    groups = typer.Typer(
        help="Consumer groups: list, describe with lag, reset offsets, delete.",
        no_args_is_help=True,
    )
    app.add_typer(groups, name="groups")

    @groups.command("list")
    @options.global_options()
    def list_(ctx: typer.Context) -> None:
        """List consumer groups with their state."""
        s = options.settings(ctx)
        cluster = connect(s)
        cluster.metadata()  # unreachable cluster: a clear error now
        rows = _call("list groups", ga.list_groups, cluster.admin(), cluster.timeout)
        output.print_rows(rows, s.output, columns=["group", "state", "type"])

    @groups.command("describe")
    @options.global_options()
    def describe(
        ctx: typer.Context, group_args: GroupsArg = None, group_opts: GroupsOpt = None
    ) -> None:
        """Members, assignments, committed offsets and lag per partition, and total lag.

        Groups that do not exist are named on stderr; the others are still shown (exit 3,
        or 4 when none exists).
        """
        group_names = _groups(group_args, group_opts)
        s = options.settings(ctx)
        cluster = connect(s)
        cluster.metadata()
        docs, missing = [], []
        for g in group_names:
            try:
                docs.append(describe_doc(cluster, g))
            except KctlError as e:
                if e.code != ExitCode.NOT_FOUND:
                    raise
                missing.append(e)
        if not docs:
            fail("; ".join(e.message for e in missing), ExitCode.NOT_FOUND)
        if s.output == "table":
            for i, doc in enumerate(docs):
                if i:
                    print()
                _describe_table(doc)
        else:
            doc = docs if len(group_names) > 1 else docs[0]
            output.print_doc(doc, s.output, table=_describe_table)
        if missing:  # what was found is printed; the rest is a partial failure
            fail("; ".join(e.message for e in missing), ExitCode.PARTIAL)

    @groups.command("reset")
    @options.global_options()
    def reset(
        ctx: typer.Context,
        group_arg: GroupArg = None,
        group_opt: GroupOpt = None,
        topic: TopicOpt = None,
        all_topics: Annotated[
            bool,
            typer.Option("--all-topics", help="Every partition the group has offsets for."),
        ] = False,
        to_earliest: Annotated[
            bool, typer.Option("--to-earliest", help="To the log start offset.")
        ] = False,
        to_latest: Annotated[bool, typer.Option("--to-latest", help="To the log end.")] = False,
        to_offset: Annotated[
            int | None, typer.Option("--to-offset", metavar="N", min=0, help="To offset N.")
        ] = None,
        to_datetime: Annotated[
            str | None,
            typer.Option(
                "--to-datetime",
                metavar="ISO-8601",
                help="To the first record at or after this time (no zone: local time).",
            ),
        ] = None,
        by_duration: Annotated[
            str | None,
            typer.Option(
                "--by-duration",
                metavar="DURATION",
                help="To the first record at or after now minus DURATION (PT1H, 1h30m).",
            ),
        ] = None,
        shift_by: Annotated[
            int | None,
            typer.Option("--shift-by", metavar="N", help="Move the committed offset by N (+/-)."),
        ] = None,
        to_current: Annotated[
            bool, typer.Option("--to-current", help="To the committed offset (or the end).")
        ] = False,
        from_file: Annotated[
            Path | None,
            typer.Option(
                "--from-file",
                metavar="CSV",
                help="Offsets from a CSV of topic,partition,offset lines.",
                exists=True,
                dir_okay=False,
            ),
        ] = None,
        execute: Annotated[
            bool, typer.Option("--execute", help="Apply the plan (default: only show it).")
        ] = False,
    ) -> None:
        """Plan a reset of committed offsets; apply it with --execute.

        New offsets are clamped into [log start, log end]. The group must have no active
        members to apply. Example: kctl groups reset -g billing --topic orders --to-earliest
        """
        s = options.settings(ctx)
        group = _one_group(group_arg, group_opt)
        mode = reset_mode(
            to_earliest,
            to_latest,
            to_offset,
            to_datetime,
            by_duration,
            shift_by,
            to_current,
            from_file,
            group,
        )
        scopes = _scopes(topic)
        if execute:
            options.require_writable(s, "reset consumer group offsets")
        cluster = connect(s)
        cluster.metadata()
        try:
            rows = plan_reset(cluster, group, mode, scopes, all_topics, int(time.time() * 1000))
        except PlanError as e:
            fail(str(e), ExitCode.NOT_FOUND if "unknown topic" in str(e) else ExitCode.USAGE)
        plan = [r.as_dict() for r in rows]
        for r in rows:
            if r.clamped:
                warn(
                    f"{r.topic}:{r.partition}: offset clamped to {r.new} "
                    f"(log has {r.log_start}..{r.log_end})"
                )
        if not execute:
            output.print_rows(plan, s.output, columns=PLAN_COLUMNS)
            info(f"plan only: nothing changed; re-run with --execute to reset group {group!r}")
            return
        _require_inactive(cluster, group, "reset offsets")
        _call(
            f"commit offsets for group {group!r}",
            ga.commit_offsets,
            cluster.admin(),
            group,
            {(r.topic, r.partition): r.new for r in rows},
            cluster.timeout,
        )
        output.print_rows(plan, s.output, columns=PLAN_COLUMNS)
        info(f"reset {len(rows)} partition(s) of group {group!r}")

    @groups.command("delete")
    @options.global_options()
    def delete(
        ctx: typer.Context,
        group_args: GroupsArg = None,
        group_opts: GroupsOpt = None,
        yes: Annotated[
            bool, typer.Option("--yes", "-y", help="Delete (default: only show what would go).")
        ] = False,
    ) -> None:
        """Delete consumer groups and their committed offsets (groups must be empty).

        Without --yes kctl shows the plan and asks on a terminal; in a script the plan is
        the output (-o json to read it) and the exit code 2. With --yes the output is one
        result per group: group, status, error.
        """
        group_names = list(dict.fromkeys(_groups(group_args, group_opts)))
        s = options.settings(ctx)
        if destructive.may_act(yes):
            options.require_writable(s, "delete consumer groups")
        cluster = connect(s)
        cluster.metadata()
        plan = []
        for g in group_names:
            d = _call(
                f"describe group {g!r}", ga.describe_group, cluster.admin(), g, cluster.timeout
            )
            plan.append({"group": g, "state": d.state, "members": len(d.members)})
        destructive.go_ahead(plan, ["group", "state", "members"], s.output, yes=yes,
                             what=f"{len(plan)} group(s)")
        results = ga.delete_groups(cluster.admin(), group_names, cluster.timeout)
        rows = [
            {"group": g, **destructive.outcome(err.str() if err else None)}
            for g, err in results.items()
        ]
        output.print_rows(rows, s.output, columns=["group", "status", "error"])
        errors = [err for err in results.values() if err is not None]
        if errors:
            code = exit_code_for(errors[0]) if len(errors) == len(rows) else ExitCode.PARTIAL
            fail(f"{len(errors)} of {len(rows)} group(s) not deleted: {errors[0].str()}", code)

    @groups.command("delete-offsets")
    @options.global_options()
    def delete_offsets_cmd(
        ctx: typer.Context,
        group_arg: GroupArg = None,
        group_opt: GroupOpt = None,
        topic: TopicOpt = None,
        yes: Annotated[
            bool, typer.Option("--yes", "-y", help="Delete (default: only show what would go).")
        ] = False,
    ) -> None:
        """Delete a group's committed offsets for some topics/partitions (OffsetDelete).

        The group must not be subscribed to those topics. Without --yes kctl shows the plan
        and asks on a terminal; in a script the plan is the output (-o json to read it) and
        the exit code 2. With --yes the output is one result per partition: topic,
        partition, status, error. Example:
        kctl groups delete-offsets -g billing -t orders:0,1 --yes
        """
        s = options.settings(ctx)
        group = _one_group(group_arg, group_opt)
        scopes = _scopes(topic)
        if not scopes:
            fail("say which offsets to delete: -t TOPIC[:P,...]", ExitCode.USAGE)
        if destructive.may_act(yes):
            options.require_writable(s, "delete committed offsets")
        cluster = connect(s)
        cluster.metadata()
        admin, t = cluster.admin(), cluster.timeout
        committed = _call(f"offsets of group {group!r}", ga.committed_offsets, admin, group, t)
        known = _call("list topics", ga.topic_partitions, admin, t)
        try:
            tps = select_partitions(scopes, False, committed, known, ResetMode(CURRENT))
        except PlanError as e:
            fail(str(e), ExitCode.NOT_FOUND)
        tps = [tp for tp in tps if tp in committed]
        if not tps:
            fail(f"group {group!r} has no committed offsets there", ExitCode.NOT_FOUND)
        rows = [
            {"topic": tp[0], "partition": tp[1], "committed_offset": committed[tp]} for tp in tps
        ]
        destructive.go_ahead(rows, ["topic", "partition", "committed_offset"], s.output,
                             yes=yes, what=f"{len(rows)} committed offset(s) of group {group!r}")
        try:
            results = delete_offsets(cluster.config(), group, tps, t)
        except OffsetDeleteError as e:
            what = f"delete offsets of group {group!r}"
            if e.code == "_UNSUPPORTED_FEATURE":
                raise unsupported(what, str(e)) from e
            code = ExitCode.NOT_FOUND if "GROUP_ID_NOT_FOUND" in e.code else ExitCode.ERROR
            raise KctlError(f"{what}: {e}", code) from e
        out = [
            {"topic": r.topic, "partition": r.partition, **destructive.outcome(r.error)}
            for r in results
        ]
        output.print_rows(out, s.output, columns=["topic", "partition", "status", "error"])
        failed = [r for r in out if r["error"] is not None]
        if failed:
            fail(
                f"{len(failed)} offset(s) not deleted: {failed[0]['error']}",
                ExitCode.PARTIAL if len(failed) < len(out) else ExitCode.ERROR,
            )
