"""`kctl acls list|create|delete`: ACL bindings, with the options of Kafka's kafka-acls.sh."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from kctl import acl_admin, destructive, output
from kctl.acl_model import (
    OPERATION_NAMES,
    ROW_KEYS,
    Binding,
    PatternType,
    parse_operation,
    parse_pattern_type,
)
from kctl.acl_spec import AclOptions, SpecError, create_bindings, filters
from kctl.client import Cluster
from kctl.completers import complete_groups, complete_topics
from kctl.console import ExitCode, fail
from kctl.options import global_options, require_writable, settings

RESOURCES = "Resources"
PRINCIPALS = "Principals, hosts and operations"


def complete_operations(incomplete: str) -> list[str]:
    """Kafka's operation names (as kafka-acls.sh spells them), case-insensitively."""
    return [n for n in OPERATION_NAMES if n.lower().startswith(incomplete.lower())]


def _check_operations(values: list[str] | None) -> list[str] | None:
    for v in values or ():
        try:
            parse_operation(v)
        except ValueError as e:
            raise typer.BadParameter(str(e)) from None
    return values


def _pattern_check(allowed: tuple[str, ...]) -> Callable[[str | None], str | None]:
    def check(value: str | None) -> str | None:
        if value is not None and value.lower() not in allowed:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}")
        return value

    return check


def _pattern_completion(allowed: tuple[str, ...]) -> Callable[[str], list[str]]:
    return lambda incomplete: [a for a in allowed if a.startswith(incomplete.lower())]


def _pattern_opt(allowed: tuple[str, ...], text: str) -> Any:
    return Annotated[
        str | None,
        typer.Option("--resource-pattern-type", metavar="|".join(allowed), help=text,
                     callback=_pattern_check(allowed),
                     autocompletion=_pattern_completion(allowed),
                     rich_help_panel=RESOURCES),
    ]


def _many(*names: str, metavar: str, text: str, panel: str = RESOURCES, **kw: Any) -> Any:
    return Annotated[
        list[str] | None,
        typer.Option(*names, metavar=metavar, help=text, rich_help_panel=panel, **kw),
    ]


TopicOpt = _many("--topic", "-t", metavar="TOPIC", autocompletion=complete_topics,
                 text="A topic (repeatable; * for every topic, or a prefix with "
                 "--resource-pattern-type prefixed).")
GroupOpt = _many("--group", "-g", metavar="GROUP", autocompletion=complete_groups,
                 text="A consumer group (repeatable; * for every group).")
ClusterOpt = Annotated[
    bool, typer.Option("--cluster", help="The cluster itself (kafka-cluster).",
                       rich_help_panel=RESOURCES),
]
TxnOpt = _many("--transactional-id", metavar="ID",
               text="A producer's transactional id (repeatable; * for all).")
TokenOpt = _many("--delegation-token", metavar="TOKEN_ID",
                 text="A delegation token (repeatable; * for all).")
UserOpt = _many("--user-principal", metavar="User:NAME",
                text="A user, as the resource of CreateTokens/DescribeTokens (repeatable).")
AllowPrincipalOpt = _many("--allow-principal", metavar="User:NAME", panel=PRINCIPALS,
                          text="Principal allowed the operations (repeatable; User:* for all).")
DenyPrincipalOpt = _many("--deny-principal", metavar="User:NAME", panel=PRINCIPALS,
                         text="Principal denied the operations (repeatable); deny wins.")
OperationOpt = _many("--operation", metavar="OPERATION", panel=PRINCIPALS,
                     callback=_check_operations, autocompletion=complete_operations,
                     text="Read, Write, Create, Delete, Alter, Describe, ClusterAction, "
                     "DescribeConfigs, AlterConfigs, IdempotentWrite, CreateTokens, "
                     "DescribeTokens or All; case-insensitive (repeatable).")


FilterPatternOpt = _pattern_opt(
    ("literal", "prefixed", "any", "match"),
    "Which patterns: literal (the default when a resource is given), prefixed, any (every "
    "pattern type, the name exactly), match (every ACL that applies to the name: literal, * "
    "and prefixes; careful with delete).",
)
CreatePatternOpt = _pattern_opt(
    ("literal", "prefixed"),
    "literal (default): the name exactly, or * for all; prefixed: every name that starts "
    "with it. The cluster is always literal.",
)
PrincipalFilterOpt = _many("--principal", metavar="User:NAME", panel=PRINCIPALS,
                           text="Only ACLs of this principal (repeatable).")
AllowHostFilterOpt = _many("--allow-host", metavar="HOST", panel=PRINCIPALS,
                           text="With --allow-principal: only ACLs for this host.")
DenyHostFilterOpt = _many("--deny-host", metavar="HOST", panel=PRINCIPALS,
                          text="With --deny-principal: only ACLs for this host.")
AllowHostOpt = _many("--allow-host", metavar="HOST", panel=PRINCIPALS,
                     text="Host (IP) the allowed principals may connect from "
                     "(repeatable; default *).")
DenyHostOpt = _many("--deny-host", metavar="HOST", panel=PRINCIPALS,
                    text="Host (IP) the denied principals are denied from "
                    "(repeatable; default *).")
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking.")]


def _flag(name: str, text: str) -> Any:
    return Annotated[bool, typer.Option(name, rich_help_panel="Shortcuts", help=text)]


ProducerOpt = _flag("--producer", "Write, Describe, Create on the topics; Write, Describe on "
                    "the transactional ids.")
IdempotentOpt = _flag("--idempotent", "With --producer: IdempotentWrite on the cluster.")
ConsumerOpt = _flag("--consumer", "Read, Describe on the topics; Read on the group "
                    "(--group required).")
ProducerFilterOpt = _flag("--producer", "Exactly the ACLs `create --producer` adds.")
IdempotentFilterOpt = _flag("--idempotent",
                            "With --producer: also IdempotentWrite on the cluster.")
ConsumerFilterOpt = _flag("--consumer", "Exactly the ACLs `create --consumer` adds.")


def _options(
    topic: list[str] | None = None,
    group: list[str] | None = None,
    cluster: bool = False,
    transactional_id: list[str] | None = None,
    delegation_token: list[str] | None = None,
    user_principal: list[str] | None = None,
    pattern: str | None = None,
    allow_principal: list[str] | None = None,
    deny_principal: list[str] | None = None,
    allow_host: list[str] | None = None,
    deny_host: list[str] | None = None,
    operation: list[str] | None = None,
    principal: list[str] | None = None,
    producer: bool = False,
    consumer: bool = False,
    idempotent: bool = False,
) -> AclOptions:
    pattern_type: PatternType | None = parse_pattern_type(pattern) if pattern else None
    return AclOptions(
        topics=topic or (), groups=group or (), cluster=cluster,
        transactional_ids=transactional_id or (), delegation_tokens=delegation_token or (),
        user_principals=user_principal or (), pattern_type=pattern_type,
        allow_principals=allow_principal or (), deny_principals=deny_principal or (),
        allow_hosts=allow_host or (), deny_hosts=deny_host or (),
        operations=[parse_operation(o) for o in operation or ()],
        principals=principal or (), producer=producer, consumer=consumer,
        idempotent=idempotent,
    )


def _usage(build: Callable[[], Any]) -> Any:
    """Run a spec builder; its complaint is a usage error (exit 2), before any connection."""
    try:
        return build()
    except SpecError as e:
        fail(str(e), ExitCode.USAGE)


def _rows(bindings: list[Binding]) -> list[dict[str, Any]]:
    return [b.row() for b in bindings]


def _print(bindings: list[Binding], fmt: str) -> None:
    output.print_rows(_rows(bindings), fmt, columns=list(ROW_KEYS))


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="List, create and delete ACLs (access control lists), like kafka-acls.sh.",
        no_args_is_help=True,
    )

    @group.command("list")
    @global_options()
    def list_acls(
        ctx: typer.Context,
        topic: TopicOpt = None,
        group_: GroupOpt = None,
        cluster: ClusterOpt = False,
        transactional_id: TxnOpt = None,
        delegation_token: TokenOpt = None,
        user_principal: UserOpt = None,
        pattern: FilterPatternOpt = None,
        principal: PrincipalFilterOpt = None,
        allow_principal: AllowPrincipalOpt = None,
        deny_principal: DenyPrincipalOpt = None,
        allow_host: AllowHostFilterOpt = None,
        deny_host: DenyHostFilterOpt = None,
        operation: OperationOpt = None,
    ) -> None:
        """List ACL bindings; with no option, all of them.

        Options narrow the list; several values of one option mean any of them.

        Examples:
          kctl acls list
          kctl acls list --topic orders --resource-pattern-type match
          kctl acls list --principal User:alice -o json
        """
        s = settings(ctx)
        wanted = _usage(lambda: filters(_options(
            topic, group_, cluster, transactional_id, delegation_token, user_principal,
            pattern, allow_principal, deny_principal, allow_host, deny_host, operation,
            principal,
        )))
        c = Cluster(s)
        c.check_reachable()
        _print(acl_admin.describe(c, wanted), s.output)

    @group.command("create")
    @global_options()
    def create(
        ctx: typer.Context,
        topic: TopicOpt = None,
        group_: GroupOpt = None,
        cluster: ClusterOpt = False,
        transactional_id: TxnOpt = None,
        delegation_token: TokenOpt = None,
        user_principal: UserOpt = None,
        pattern: CreatePatternOpt = None,
        allow_principal: AllowPrincipalOpt = None,
        deny_principal: DenyPrincipalOpt = None,
        allow_host: AllowHostOpt = None,
        deny_host: DenyHostOpt = None,
        operation: OperationOpt = None,
        producer: ProducerOpt = False,
        idempotent: IdempotentOpt = False,
        consumer: ConsumerOpt = False,
    ) -> None:
        """Add ACLs: each resource x principal x host x operation (default All).

        Prints the bindings it added (adding one that exists changes nothing).

        Examples:
          kctl acls create --allow-principal User:alice --operation Read --topic orders
          kctl acls create --allow-principal User:app --producer --topic orders --idempotent
          kctl acls create --allow-principal User:app --consumer -t orders -g billing
          kctl acls create --deny-principal User:* --deny-host 10.0.0.7 --operation All \\
              --topic payments- --resource-pattern-type prefixed
        """
        s = settings(ctx)
        bindings = _usage(lambda: create_bindings(_options(
            topic, group_, cluster, transactional_id, delegation_token, user_principal,
            pattern, allow_principal, deny_principal, allow_host, deny_host, operation,
            producer=producer, consumer=consumer, idempotent=idempotent,
        )))
        require_writable(s, "create ACLs")
        c = Cluster(s)
        c.check_reachable()
        results = acl_admin.create(c, bindings)
        failures = [r.error for r in results if r.error is not None]
        if len(failures) < len(results):  # nothing added: only the error, no empty table
            _print([r.binding for r in results if r.error is None], s.output)
        if failures:
            code = failures[0].code if len(failures) == len(results) else ExitCode.PARTIAL
            more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
            fail(failures[0].message + more, code)

    @group.command("delete")
    @global_options()
    def delete(
        ctx: typer.Context,
        topic: TopicOpt = None,
        group_: GroupOpt = None,
        cluster: ClusterOpt = False,
        transactional_id: TxnOpt = None,
        delegation_token: TokenOpt = None,
        user_principal: UserOpt = None,
        pattern: FilterPatternOpt = None,
        principal: PrincipalFilterOpt = None,
        allow_principal: AllowPrincipalOpt = None,
        deny_principal: DenyPrincipalOpt = None,
        allow_host: AllowHostFilterOpt = None,
        deny_host: DenyHostFilterOpt = None,
        operation: OperationOpt = None,
        producer: ProducerFilterOpt = False,
        idempotent: IdempotentFilterOpt = False,
        consumer: ConsumerFilterOpt = False,
        yes: YesOpt = False,
    ) -> None:
        """Delete the ACLs that match: shows them first, then needs --yes.

        A resource or a principal is required; what is not given matches anything.
        Without --yes kctl shows the plan and asks on a terminal; in a script the plan is
        the output (-o json to read it) and the exit code 2. With --yes the output is the
        bindings deleted, each with status and error.

        Examples:
          kctl acls delete --topic orders                    # every literal ACL on orders
          kctl acls delete --principal User:bob --topic '*' --resource-pattern-type any
          kctl acls delete --allow-principal User:app --consumer -t orders -g billing --yes
        """
        s = settings(ctx)
        wanted = _usage(lambda: filters(_options(
            topic, group_, cluster, transactional_id, delegation_token, user_principal,
            pattern, allow_principal, deny_principal, allow_host, deny_host, operation,
            principal, producer=producer, consumer=consumer, idempotent=idempotent,
        ), for_delete=True))
        if destructive.may_act(yes):
            require_writable(s, "delete ACLs")
        c = Cluster(s)
        c.check_reachable()
        plan = acl_admin.describe(c, wanted)
        if not plan:
            destructive.nothing_to_delete("no ACLs match; nothing to delete", s.output)
            return
        destructive.go_ahead(_rows(plan), ROW_KEYS, s.output, yes=yes,
                             what=f"{len(plan)} ACL(s)")
        result = acl_admin.delete(c, wanted)
        # A refused filter names no binding: it is the error line below.
        output.print_rows([{**r, **destructive.outcome(None)} for r in _rows(result.deleted)],
                          s.output, columns=[*ROW_KEYS, "status"])
        if result.errors:
            code = ExitCode.PARTIAL if result.deleted else result.errors[0].code
            fail(result.errors[0].message, code)

    app.add_typer(group, name="acls")
