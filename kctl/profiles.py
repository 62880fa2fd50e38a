"""Profiles (contexts): named clusters with their security settings, in one TOML file.

The file is ``$KCTL_CONFIG`` if set, else ``$XDG_CONFIG_HOME/kctl/config.toml`` (XDG default
``~/.config``). It is read with ``tomllib`` and written with ``tomli_w``, atomically and
readable by the owner only (it names secrets, even if it never holds a password)::

    current = "local"

    [profiles.local]
    bootstrap = "127.0.0.1:9092"

    [profiles.prod]
    bootstrap = "kafka-1.example.com:9093,kafka-2.example.com:9093"
    read_only = true
    security_protocol = "SASL_SSL"
    sasl_mechanism = "SCRAM-SHA-512"
    sasl_username = "ops"
    password_env = "PROD_KAFKA_PASSWORD"   # or password_file = "/run/secrets/kafka"
    ssl_ca = "/etc/ssl/certs/prod-ca.pem"

    [profiles.prod.properties]            # any other librdkafka property
    "client.id" = "kctl-ops"

A password is only ever referenced (environment variable or file), resolved when connecting,
and never printed.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import tomli_w

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER", "GSSAPI")

# Profile field -> librdkafka property it sets.
LIBRDKAFKA_KEYS = {
    "security_protocol": "security.protocol",
    "sasl_mechanism": "sasl.mechanism",
    "sasl_username": "sasl.username",
    "ssl_ca": "ssl.ca.location",
    "ssl_cert": "ssl.certificate.location",
    "ssl_key": "ssl.key.location",
}


class ProfileError(Exception):
    """The config file or a profile in it is unusable; the message says which and why."""


@dataclass
class Profile:
    name: str
    bootstrap: str | None = None
    read_only: bool = False
    security_protocol: str | None = None
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    password_env: str | None = None
    password_file: str | None = None
    ssl_ca: str | None = None
    ssl_cert: str | None = None
    ssl_key: str | None = None
    properties: dict[str, str] = field(default_factory=dict)

    def to_toml(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "name" and v not in (None, {})}
        if not self.read_only:
            data.pop("read_only", None)
        return data

    def password(self) -> str | None:
        """The SASL password, read from its reference; ProfileError if the reference is bad."""
        if self.password_env:
            value = os.environ.get(self.password_env)
            if value is None:
                raise ProfileError(
                    f"profile {self.name!r}: environment variable {self.password_env} "
                    "(password_env) is not set"
                )
            return value
        if self.password_file:
            try:
                return Path(self.password_file).expanduser().read_text().rstrip("\r\n")
            except OSError as e:
                raise ProfileError(
                    f"profile {self.name!r}: cannot read password_file {self.password_file}: "
                    f"{e.strerror}"
                ) from e
        return None

    def client_config(self) -> dict[str, str]:
        """librdkafka properties for this profile (bootstrap excluded; password resolved)."""
        conf = dict(self.properties)
        for attr, key in LIBRDKAFKA_KEYS.items():
            value = getattr(self, attr)
            if value:
                conf[key] = str(Path(value).expanduser()) if attr.startswith("ssl_") else value
        password = self.password()
        if password is not None:
            conf["sasl.password"] = password
        return conf

    def redacted(self) -> dict[str, Any]:
        """What `profile show/list` print: references to secrets, never secrets."""
        data: dict[str, Any] = {"name": self.name, **self.to_toml()}
        data["read_only"] = self.read_only
        props = data.get("properties")
        if props:
            data["properties"] = {
                k: ("***" if _secret_key(k) else v) for k, v in sorted(props.items())
            }
        return data


def _secret_key(key: str) -> bool:
    return any(word in key for word in ("password", "secret", "token"))


@dataclass
class Config:
    current: str | None = None
    profiles: dict[str, Profile] = field(default_factory=dict)

    def to_toml(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.current:
            data["current"] = self.current
        data["profiles"] = {n: p.to_toml() for n, p in sorted(self.profiles.items())}
        return data


def config_path() -> Path:
    explicit = os.environ.get("KCTL_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "kctl" / "config.toml"


_FIELDS = {f.name for f in fields(Profile)} - {"name"}


def _profile_from(name: str, data: Any, path: Path) -> Profile:
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: profiles.{name} must be a table")
    unknown = set(data) - _FIELDS
    if unknown:
        raise ProfileError(f"{path}: profiles.{name}: unknown key(s) {', '.join(sorted(unknown))}")
    for key, value in data.items():
        expected: type = {"read_only": bool, "properties": dict}.get(key, str)
        if not isinstance(value, expected):
            raise ProfileError(
                f"{path}: profiles.{name}.{key} must be a {expected.__name__}"
            )
    props = data.get("properties", {})
    if not all(isinstance(v, str) for v in props.values()):
        raise ProfileError(f"{path}: profiles.{name}.properties values must be strings")
    return Profile(name=name, **data)


def load(path: Path | None = None) -> Config:
    """Read the config file; a missing file is an empty config."""
    path = path or config_path()
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except FileNotFoundError:
        return Config()
    except OSError as e:
        raise ProfileError(f"cannot read {path}: {e.strerror}") from e
    except tomllib.TOMLDecodeError as e:
        raise ProfileError(f"{path} is not valid TOML: {e}") from e
    table = raw.get("profiles", {})
    if not isinstance(table, dict):
        raise ProfileError(f"{path}: 'profiles' must be a table")
    config = Config(
        current=raw.get("current") if isinstance(raw.get("current"), str) else None,
        profiles={name: _profile_from(name, data, path) for name, data in table.items()},
    )
    return config


def save(config: Config, path: Path | None = None) -> Path:
    """Write the config atomically (temp file + rename), mode 0600."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            tomli_w.dump(config.to_toml(), f)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
