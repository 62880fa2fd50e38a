"""`kctl profile list|use|set|delete|show`: named clusters (contexts) in the config file."""

from __future__ import annotations

import dataclasses
import os
from typing import Annotated, Any

import typer

from kctl import output, profiles
from kctl.console import ExitCode, KctlError, fail, info
from kctl.options import complete_profiles, global_options, parse_pairs, settings

NameArg = Annotated[
    str, typer.Argument(metavar="NAME", help="Profile name.", autocompletion=complete_profiles)
]

# `profile set` option -> Profile field (all strings; read_only and properties are separate).
_STRING_FIELDS = (
    "bootstrap", "security_protocol", "sasl_mechanism", "sasl_username", "password_env",
    "password_file", "ssl_ca", "ssl_cert", "ssl_key",
)
# Fields naming a file: kept absolute, since later commands run from other directories.
_PATH_FIELDS = ("password_file", "ssl_ca", "ssl_cert", "ssl_key")


def _absolute(path: str) -> str:
    """``path`` as given to `profile set`, relative to where it ran; ``~`` stays for
    expansion when connecting."""
    return path if path.startswith("~") or os.path.isabs(path) else os.path.abspath(path)


def _load() -> profiles.Config:
    try:
        return profiles.load()
    except profiles.ProfileError as e:
        raise KctlError(str(e), ExitCode.INVALID) from e


def _get(config: profiles.Config, name: str) -> profiles.Profile:
    if name not in config.profiles:
        fail(f"no profile named {name!r} (see `kctl profile list`)", ExitCode.NOT_FOUND)
    return config.profiles[name]


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Profiles (contexts): named clusters with security settings and a read-only "
        "flag, stored in $KCTL_CONFIG or ~/.config/kctl/config.toml.",
        no_args_is_help=True,
    )

    @group.command("list")
    @global_options(cluster=False)
    def list_profiles(ctx: typer.Context) -> None:
        """List profiles; CURRENT marks the one used when --profile is not given."""
        s = settings(ctx)
        config = _load()
        rows = [
            {"name": p.name, "current": p.name == config.current, "bootstrap": p.bootstrap,
             "security_protocol": p.security_protocol or "PLAINTEXT",
             "read_only": p.read_only}
            for p in sorted(config.profiles.values(), key=lambda p: p.name)
        ]
        output.print_rows(rows, s.output,
                          columns=["current", "name", "bootstrap", "security_protocol",
                                   "read_only"])

    @group.command("show")
    @global_options(cluster=False)
    def show(
        ctx: typer.Context,
        name: Annotated[
            str | None,
            typer.Argument(metavar="NAME", help="Profile name (default: the current one).",
                           autocompletion=complete_profiles),
        ] = None,
    ) -> None:
        """Show one profile. Passwords are referenced (env var or file), never shown."""
        s = settings(ctx)
        config = _load()
        name = name or config.current
        if not name:
            fail("no current profile; name one or run `kctl profile use NAME`",
                 ExitCode.NOT_FOUND)
        doc = _get(config, name).redacted()
        doc["current"] = name == config.current
        doc["config_file"] = str(profiles.config_path())
        output.print_doc(doc, s.output, table=_show_table)

    @group.command("use")
    def use(name: NameArg) -> None:
        """Make NAME the current profile."""
        config = _load()
        _get(config, name)
        config.current = name
        profiles.save(config)
        info(f"current profile is now {name!r}")

    @group.command("set")
    def set_(
        name: NameArg,
        bootstrap: Annotated[
            str | None, typer.Option("--bootstrap", "-b", metavar="HOST:PORT[,...]")
        ] = None,
        security_protocol: Annotated[
            str | None,
            typer.Option(
                "--security-protocol", metavar="PROTOCOL",
                help="|".join(profiles.SECURITY_PROTOCOLS),
            ),
        ] = None,
        sasl_mechanism: Annotated[
            str | None,
            typer.Option(
                "--sasl-mechanism", metavar="MECHANISM",
                help="|".join(profiles.SASL_MECHANISMS),
            ),
        ] = None,
        sasl_username: Annotated[
            str | None, typer.Option("--sasl-username", metavar="NAME", help="SASL user name.")
        ] = None,
        password_env: Annotated[
            str | None,
            typer.Option("--password-env", metavar="VAR",
                         help="Read the SASL password from this environment variable."),
        ] = None,
        password_file: Annotated[
            str | None,
            typer.Option("--password-file", metavar="PATH",
                         help="Read the SASL password from this file."),
        ] = None,
        ssl_ca: Annotated[str | None, typer.Option("--ssl-ca", metavar="PEM")] = None,
        ssl_cert: Annotated[str | None, typer.Option("--ssl-cert", metavar="PEM")] = None,
        ssl_key: Annotated[str | None, typer.Option("--ssl-key", metavar="PEM")] = None,
        read_only: Annotated[
            bool | None,
            typer.Option("--read-only/--read-write",
                         help="Refuse (or allow) commands that change the cluster."),
        ] = None,
        prop: Annotated[
            list[str] | None,
            typer.Option("-X", metavar="KEY=VALUE",
                         help="Extra librdkafka property stored in the profile (repeatable)."),
        ] = None,
        unset: Annotated[
            list[str] | None,
            typer.Option("--unset", metavar="FIELD",
                         help="Remove a field (e.g. ssl_key) or property (repeatable)."),
        ] = None,
        use_it: Annotated[
            bool, typer.Option("--use", help="Also make it the current profile.")
        ] = False,
    ) -> None:
        """Create or update a profile; only the options given change.

        Examples:
          kctl profile set local -b 127.0.0.1:9092 --use
          kctl profile set prod -b kafka-1:9093 --security-protocol SASL_SSL \\
              --sasl-mechanism SCRAM-SHA-512 --sasl-username ops \\
              --password-env PROD_KAFKA_PASSWORD --ssl-ca ca.pem --read-only
        """
        if security_protocol and security_protocol.upper() not in profiles.SECURITY_PROTOCOLS:
            raise typer.BadParameter(
                f"expected one of {', '.join(profiles.SECURITY_PROTOCOLS)}",
                param_hint="--security-protocol",
            )
        if password_env and password_file:
            raise typer.BadParameter("give --password-env or --password-file, not both",
                                     param_hint="--password-env")
        config = _load()
        profile = config.profiles.get(name) or profiles.Profile(name=name)
        given = {
            "bootstrap": bootstrap,
            "security_protocol": security_protocol.upper() if security_protocol else None,
            "sasl_mechanism": sasl_mechanism, "sasl_username": sasl_username,
            "password_env": password_env, "password_file": password_file,
            "ssl_ca": ssl_ca, "ssl_cert": ssl_cert, "ssl_key": ssl_key,
        }
        changes: dict[str, Any] = {
            k: _absolute(v) if k in _PATH_FIELDS else v for k, v in given.items() if v is not None
        }
        # A password has one source: setting one reference drops the other.
        if password_env:
            changes["password_file"] = None
        if password_file:
            changes["password_env"] = None
        if read_only is not None:
            changes["read_only"] = read_only
        properties = {**profile.properties, **parse_pairs(prop or ())}
        for field in unset or ():
            if field in _STRING_FIELDS:
                changes[field] = None
            elif field in properties:
                del properties[field]
            else:
                raise typer.BadParameter(f"{field!r} is neither a field nor a property",
                                         param_hint="--unset")
        profile = dataclasses.replace(profile, **changes, properties=properties)
        config.profiles[name] = profile
        if use_it or not config.current:
            config.current = name
        path = profiles.save(config)
        info(f"saved profile {name!r} in {path}"
             + (" (current)" if config.current == name else ""))

    @group.command("delete")
    def delete(name: NameArg) -> None:
        """Remove a profile from the config file (the cluster is not touched)."""
        config = _load()
        _get(config, name)
        del config.profiles[name]
        if config.current == name:
            config.current = None
        profiles.save(config)
        info(f"deleted profile {name!r}")

    app.add_typer(group, name="profile")


def _show_table(doc: dict[str, Any]) -> None:
    rows = [{"field": k, "value": v} for k, v in doc.items() if k != "properties"]
    rows += [{"field": f"properties.{k}", "value": v}
             for k, v in doc.get("properties", {}).items()]
    output.print_table(rows, ["field", "value"])
