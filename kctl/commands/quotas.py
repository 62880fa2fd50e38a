"""`kctl quotas describe|alter`: client quotas of users, client ids and IPs (what
kafka-configs.sh --entity-type users/clients/ips shows and changes)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from kctl import output
from kctl.client import connect
from kctl.console import ExitCode, fail, warn
from kctl.options import global_options, require_writable, settings
from kctl.quota_model import EntitySpec, QuotaOp, describe_docs, describe_rows, number, parse_ops

ENTITY = "Entity"

UserOpt = Annotated[
    str | None,
    typer.Option("--user", metavar="USER", rich_help_panel=ENTITY,
                 help="A user: the principal's name without 'User:' (alice, ANONYMOUS)."),
]
UserDefaultOpt = Annotated[
    bool, typer.Option("--user-default", rich_help_panel=ENTITY,
                       help="The default user: every user without a quota of its own."),
]
ClientOpt = Annotated[
    str | None,
    typer.Option("--client-id", metavar="CLIENT_ID", rich_help_panel=ENTITY,
                 help="A client id (the client.id clients connect with)."),
]
ClientDefaultOpt = Annotated[
    bool, typer.Option("--client-default", rich_help_panel=ENTITY,
                       help="The default client id."),
]
IpOpt = Annotated[
    str | None,
    typer.Option("--ip", metavar="IP", rich_help_panel=ENTITY,
                 help="An IP address (connection_creation_rate only; not with user/client)."),
]
IpDefaultOpt = Annotated[
    bool, typer.Option("--ip-default", rich_help_panel=ENTITY, help="The default IP."),
]
CHANGE_COLUMNS = ["quota", "op", "current", "new"]


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Client quotas: byte rates and request time per user, client id or IP.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="quotas")

    @group.command("describe")
    @global_options()
    def describe(
        ctx: typer.Context,
        user: UserOpt = None,
        user_default: UserDefaultOpt = False,
        client_id: ClientOpt = None,
        client_default: ClientDefaultOpt = False,
        ip: IpOpt = None,
        ip_default: IpDefaultOpt = False,
        exact: Annotated[
            bool, typer.Option("--exact",
                               help="Only entities made of exactly the given parts (--user "
                                    "alone then leaves out alice's per-client quotas).")
        ] = False,
    ) -> None:
        """Quotas of every entity that includes the given parts (all entities without any).

        <default> is a default entity, '-' a part the entity does not have.

        Examples:
          kctl quotas describe
          kctl quotas describe --user alice
          kctl quotas describe --client-default --exact -o json
        """
        # with kio: loaded only when a quotas command runs
        from kctl import broker_sessions, quota_wire

        s = settings(ctx)
        spec = EntitySpec.of(user=user, user_default=user_default, client_id=client_id,
                             client_default=client_default, ip=ip, ip_default=ip_default)
        cluster = connect(s)
        cluster.check_reachable()
        found = broker_sessions.with_bootstrap(
            cluster, "describe client quotas",
            lambda session: quota_wire.describe(session, spec, strict=exact))
        docs = describe_docs([(d.parts, d.quotas) for d in found])
        if s.output == "table":
            rows, columns = describe_rows(docs)
            output.print_table(rows, columns)
        else:
            output.print_rows(docs, s.output)

    @group.command("alter")
    @global_options()
    def alter(
        ctx: typer.Context,
        user: UserOpt = None,
        user_default: UserDefaultOpt = False,
        client_id: ClientOpt = None,
        client_default: ClientDefaultOpt = False,
        ip: IpOpt = None,
        ip_default: IpDefaultOpt = False,
        add: Annotated[
            list[str] | None,
            typer.Option("--add", metavar="KEY=VALUE",
                         help="Set a quota (repeatable, or comma-separated): producer_byte_rate, "
                              "consumer_byte_rate, request_percentage, "
                              "controller_mutation_rate; connection_creation_rate for an IP."),
        ] = None,
        delete: Annotated[
            list[str] | None,
            typer.Option("--delete", metavar="KEY", help="Remove a quota (repeatable)."),
        ] = None,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Show current -> new and let the broker "
                                                 "validate; change nothing."),
        ] = False,
    ) -> None:
        """Set or remove quotas of one entity; shows current -> new.

        The entity is a user, a client id, a user and client id, or an IP; each may be the
        default entity instead of a name.

        Examples:
          kctl quotas alter --user alice --add producer_byte_rate=1048576
          kctl quotas alter --user-default --client-id batch --add consumer_byte_rate=2097152
          kctl quotas alter --client-default --delete request_percentage --dry-run
        """
        from kctl import broker_sessions, quota_wire
        from kctl.kafka_wire import WireError

        s = settings(ctx)
        spec = EntitySpec.of(user=user, user_default=user_default, client_id=client_id,
                             client_default=client_default, ip=ip, ip_default=ip_default)
        if not spec:
            fail("name the entity: --user/--user-default, --client-id/--client-default "
                 "and/or --ip/--ip-default", ExitCode.USAGE)
        ops = parse_ops(add or [], delete or [])
        if not dry_run:
            require_writable(s, "alter quotas")
        cluster = connect(s)
        cluster.check_reachable()

        def change(session: Any) -> dict[str, float]:
            quota_wire.alter_version(session)  # a broker without it: say so before anything
            try:
                now = quota_wire.describe(session, spec, strict=True)
            except WireError as e:
                # the alteration's own answer says more (an entity it refuses, say); if it
                # succeeds, only the current values are unknown
                quota_wire.alter(session, spec, ops, validate_only=dry_run)
                warn(f"could not read the current quotas of {spec.text()}: {e}")
                return {}
            quota_wire.alter(session, spec, ops, validate_only=dry_run)
            return now[0].quotas if now else {}

        what = f"alter quotas of {spec.text()}"
        current = broker_sessions.with_bootstrap(cluster, what, change)
        rows = [_change_row(spec, op, current, applied=not dry_run) for op in ops]
        if s.output == "table":
            title = "planned (dry run, nothing changed):" if dry_run else "applied:"
            output.print_table(rows, CHANGE_COLUMNS, title=f"{spec.text()}: {title}")
        else:
            output.print_rows(rows, s.output)


def _change_row(
    spec: EntitySpec, op: QuotaOp, current: dict[str, float], *, applied: bool
) -> dict[str, Any]:
    return {
        "entity": spec.doc(),
        "quota": op.key,
        "op": "delete" if op.value is None else "set",
        "current": number(current.get(op.key)),
        "new": number(op.value),
        "applied": applied,
    }
