"""Global options: declared once, accepted before the command group and after the subcommand.

``kctl -b H topics list`` and ``kctl topics list -b H`` mean the same. The mechanism:

* The root callback (``kctl.app``) is decorated with ``@global_options(root=True)``: it gets
  ``-b/--bootstrap``, ``--profile``, ``-o/--output``, ``-X`` and ``--timeout``, the first two
  also read from KCTL_BOOTSTRAP / KCTL_PROFILE.
* Every leaf command is decorated with ``@global_options()`` (under ``@group.command``). The
  decorator adds the same options to the command's signature (so they appear in its
  ``--help`` under "Global options") and strips them again before calling the function, so
  command code never sees them as parameters.
* :func:`settings` merges what was given on each level of the command line, deeper wins:
  subcommand flag > root flag > environment > active profile > built-in default. ``-X``
  pairs accumulate, later ones win per key. Profiles are applied there too, so a command just
  does ``s = settings(ctx)`` and hands ``s`` to ``kctl.client.Cluster``.

Merging reads the parsed ``ctx.params`` of every context from the root down, so it works
during shell completion too (click parses but does not invoke callbacks then).

A command may declare its own parameter with one of the global names (e.g. ``output`` with
extra choices, default None); the decorator then leaves that one alone and the merge still
sees it, because it has the same name.

Use ``@global_options(output=False)`` where ``-o`` makes no sense (the dashboard): ``-o`` is
then refused before the command group too, so both places agree; and
``@global_options(cluster=False)`` for commands that never talk to a cluster.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import typer

from kctl import profiles
from kctl.console import ExitCode, fail

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_BOOTSTRAP = "127.0.0.1:9092"
OUTPUT_FORMATS = ("table", "json", "yaml", "jsonl")
PANEL = "Global options"

BOOTSTRAP, PROFILE, OUTPUT, CLIENT_PROPS, TIMEOUT = (
    "bootstrap", "profile", "output", "client_props", "timeout",
)
CLUSTER_NAMES = (BOOTSTRAP, PROFILE, CLIENT_PROPS, TIMEOUT)
GLOBAL_NAMES = (BOOTSTRAP, PROFILE, OUTPUT, CLIENT_PROPS, TIMEOUT)


def parse_pairs(values: Iterable[str], what: str = "-X") -> dict[str, str]:
    """``["a=1", "b=x=y"]`` -> ``{"a": "1", "b": "x=y"}``; a usage error on a missing ``=``."""
    pairs: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint=what)
        pairs[key.strip()] = value
    return pairs


def _check_pairs(values: list[str] | None) -> list[str] | None:
    parse_pairs(values or ())
    return values


def _check_output(value: str | None) -> str | None:
    if value is not None and value not in OUTPUT_FORMATS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(OUTPUT_FORMATS)}")
    return value


def complete_profiles(incomplete: str) -> list[str]:
    """Profile names for shell completion (nothing if the config file is unreadable)."""
    try:
        names = sorted(profiles.load().profiles)
    except profiles.ProfileError:
        return []
    return [n for n in names if n.startswith(incomplete)]


def _env_note(text: str, var: str, root: bool) -> str:
    # Only the root reads the environment (so a subcommand flag beats it); say so elsewhere.
    return text if root else f"{text} (env: {var})"


def _option_types(root: bool) -> dict[str, tuple[Any, Any]]:
    """name -> (annotation, default) for the global options; env vars only on the root."""

    def env(name: str) -> dict[str, Any]:
        return {"envvar": name, "show_envvar": True} if root else {}

    return {
        BOOTSTRAP: (
            Annotated[
                str | None,
                typer.Option(
                    # --bootstrap-server: what Kafka's own tools call it
                    "-b", "--bootstrap", "--bootstrap-server", metavar="HOST:PORT[,...]",
                    rich_help_panel=PANEL,
                    help=_env_note(
                        "Bootstrap servers. Default: the profile's, else 127.0.0.1:9092.",
                        "KCTL_BOOTSTRAP", root,
                    ),
                    **env("KCTL_BOOTSTRAP"),
                ),
            ],
            None,
        ),
        PROFILE: (
            Annotated[
                str | None,
                typer.Option(
                    "--profile", metavar="NAME", rich_help_panel=PANEL,
                    autocompletion=complete_profiles,
                    help=_env_note(
                        "Profile (context) to use instead of the current one.",
                        "KCTL_PROFILE", root,
                    ),
                    **env("KCTL_PROFILE"),
                ),
            ],
            None,
        ),
        OUTPUT: (
            Annotated[
                str | None,
                typer.Option(
                    "-o", "--output", metavar="table|json|yaml|jsonl", rich_help_panel=PANEL,
                    callback=_check_output,
                    help="Output format: a table for people, json/yaml/jsonl for scripts.",
                ),
            ],
            None,
        ),
        CLIENT_PROPS: (
            Annotated[
                list[str] | None,
                typer.Option(
                    "-X", metavar="KEY=VALUE", rich_help_panel=PANEL, callback=_check_pairs,
                    help="librdkafka client property, e.g. -X security.protocol=SSL "
                    "(repeatable).",
                ),
            ],
            None,
        ),
        TIMEOUT: (
            Annotated[
                float | None,
                typer.Option(
                    "--timeout", metavar="SECONDS", min=0.1, rich_help_panel=PANEL,
                    help="Give up on the cluster after this long (default 10 s for requests).",
                ),
            ],
            None,
        ),
    }


def global_options(
    *, root: bool = False, output: bool = True, cluster: bool = True
) -> Callable[[F], F]:
    """Add the global options to a Typer command (or the root callback); see module docs."""
    names = [n for n in GLOBAL_NAMES if (n == OUTPUT and output) or (n != OUTPUT and cluster)]

    def decorate(func: F) -> F:
        sig = inspect.signature(func, eval_str=True)
        own = set(sig.parameters)
        added = {n: t for n, t in _option_types(root).items() if n in names and n not in own}
        extra = [
            inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=ann, default=default)
            for n, (ann, default) in added.items()
        ]
        params = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD else p
            for p in sig.parameters.values()
        ]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for n in added:
                kwargs.pop(n, None)
            if not output and not root:
                _refuse_output([*args, *kwargs.values()])
            return func(*args, **kwargs)

        wrapper.__signature__ = sig.replace(parameters=[*params, *extra])  # type: ignore[attr-defined]
        wrapper.__annotations__ = {
            **{p.name: p.annotation for p in params},
            **{n: ann for n, (ann, _) in added.items()},
            "return": sig.return_annotation,
        }
        return wrapper  # type: ignore[return-value]

    return decorate


def _refuse_output(values: list[Any]) -> None:
    from typer._click.core import Context as click_context  # what Typer hands commands

    # `kctl -o json tui` must fail as `kctl tui -o json` does (no such option there).
    ctx = next((v for v in values if isinstance(v, click_context)), None)
    if ctx is not None and given(ctx).get(OUTPUT) is not None:
        fail(f"-o/--output does not apply to `{ctx.command_path}`", ExitCode.USAGE)


@dataclass(frozen=True)
class Settings:
    """The merged global options for one command run (see :func:`settings`)."""

    bootstrap: str
    output: str = "table"
    client_props: dict[str, str] = field(default_factory=dict)
    timeout: float | None = None
    profile: profiles.Profile | None = None

    @property
    def profile_name(self) -> str | None:
        return self.profile.name if self.profile else None

    @property
    def read_only(self) -> bool:
        return bool(self.profile and self.profile.read_only)


def given(ctx: typer.Context) -> dict[str, Any]:
    """The global options given on the command line (or env), merged root first, leaf last."""
    chain = []
    c: Any = ctx
    while c is not None:
        chain.append(c)
        c = c.parent
    merged: dict[str, Any] = {}
    props: list[str] = []
    for c in reversed(chain):
        for name in GLOBAL_NAMES:
            value = c.params.get(name)
            if name == CLIENT_PROPS:
                props.extend(value or ())
            elif value is not None:
                merged[name] = value
    merged[CLIENT_PROPS] = parse_pairs(props)
    return merged


def settings(ctx: typer.Context) -> Settings:
    """Resolve the global options for this command: flags, environment, profile, defaults."""
    cached = ctx.meta.get("kctl.settings")
    if isinstance(cached, Settings):
        return cached
    values = given(ctx)
    try:
        config = profiles.load()
    except profiles.ProfileError as e:
        fail(str(e), ExitCode.INVALID)
    name = values.get(PROFILE) or config.current
    profile = None
    if name:
        profile = config.profiles.get(name)
        if profile is None:
            fail(f"no profile named {name!r} (see `kctl profile list`)", ExitCode.NOT_FOUND)
    bootstrap = values.get(BOOTSTRAP) or (profile.bootstrap if profile else None)
    result = Settings(
        bootstrap=bootstrap or DEFAULT_BOOTSTRAP,
        output=values.get(OUTPUT) or "table",
        client_props=values[CLIENT_PROPS],
        timeout=values.get(TIMEOUT),
        profile=profile,
    )
    ctx.meta["kctl.settings"] = result
    return result


def require_writable(s: Settings, action: str) -> None:
    """Refuse a mutating command under a read-only profile (exit code DENIED)."""
    if s.read_only:
        fail(
            f"profile {s.profile_name!r} is read-only; refusing to {action} "
            f"(use another profile or `kctl profile set {s.profile_name} --read-write`)",
            ExitCode.DENIED,
        )
