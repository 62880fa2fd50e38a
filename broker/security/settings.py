"""Each listener's security settings, resolved from Kafka's configs.

A listener NAME://HOST:PORT takes its protocol from listener.security.protocol.map; its ssl.*
and sasl.enabled.mechanisms come from listener.name.<name lowercased>.<key> when set, else from
the plain key (Kafka's per-listener overrides). PLAIN users come from
listener.name.<name>.plain.sasl.jaas.config.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass, field
from typing import Any

from broker.config import BrokerConfig, ConfigError, Listener
from broker.security.principal import PrincipalMapper
from broker.security.sasl.jaas import parse_plain_users

log = logging.getLogger("broker.security")

TLS_PROTOCOLS = frozenset({"SSL", "SASL_SSL"})
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})  # every interface
SASL_PROTOCOLS = frozenset({"SASL_PLAINTEXT", "SASL_SSL"})


@dataclass(slots=True)
class ListenerSpec:
    """What the network layer needs to serve one listener."""

    name: str
    protocol: str
    host: str
    port: int  # the bound port once serving (a configured 0 means any free port)
    advertised_host: str
    advertised_port: int  # 0: the bound port
    ssl_context: ssl.SSLContext | None = None
    principal_mapper: PrincipalMapper | None = None  # SSL listeners: certificate -> user
    sasl_mechanisms: tuple[str, ...] = ()  # empty: no SASL on this listener
    plain_users: dict[str, str] = field(default_factory=dict)

    @property
    def endpoint(self) -> tuple[str, int]:
        """The address clients are told for this listener."""
        return self.advertised_host, self.advertised_port or self.port


def protocol_map(config: BrokerConfig) -> dict[str, str]:
    pairs = (item.partition(":") for item in config.get("listener.security.protocol.map"))
    return {name.strip().upper(): protocol.strip().upper() for name, _, protocol in pairs}


def listener_value(config: BrokerConfig, listener: str, key: str) -> Any:
    """``key`` for ``listener``: its listener.name.<listener>. override, else the broker's."""
    prefixed = f"listener.name.{listener.lower()}.{key}"
    if prefixed in config.static:
        return config.get(prefixed)
    return config.get(key) if not key.startswith("plain.") else None


def check_listeners(config: BrokerConfig) -> None:
    """Load-time checks (no files read): every listener has a protocol, TLS listeners a
    keystore. Raises ConfigError."""
    protocols = protocol_map(config)
    for listener in config.listeners:
        protocol = protocols.get(listener.name)
        if protocol is None:
            raise ConfigError(
                f"listeners: {listener.name} has no entry in listener.security.protocol.map "
                f"(which maps {', '.join(sorted(protocols))})"
            )
        if protocol in TLS_PROTOCOLS:
            get = _getter(config, listener.name)
            if not get("ssl.keystore.location") and not (
                get("ssl.keystore.certificate.chain") and get("ssl.keystore.key")
            ):
                raise ConfigError(
                    f"listener {listener.name} ({protocol}) needs ssl.keystore.location, or "
                    "ssl.keystore.certificate.chain with ssl.keystore.key"
                )


def build_listeners(config: BrokerConfig) -> list[ListenerSpec]:
    """Every listener with its TLS context and SASL settings; ConfigError when unusable."""
    from broker.security.tls import server_context

    protocols = protocol_map(config)
    advertised = {a.name: a for a in config.advertised_listeners}
    specs = []
    for listener in config.listeners:
        protocol = protocols[listener.name]
        get = _getter(config, listener.name)
        named = advertised.get(listener.name, listener)
        host, port = _advertised(named)
        if named.host in WILDCARD_HOSTS:
            # Kafka refuses to advertise a wildcard; a local broker keeps working, but say so
            log.warning(
                "listener %s binds every interface but advertises %s: clients on other "
                "machines will fail after bootstrap; set advertised.listeners=%s://HOST:%d",
                listener.name, host, listener.name, listener.port,
            )  # fmt: skip
        spec = ListenerSpec(
            listener.name, protocol, listener.host or "0.0.0.0", listener.port, host, port
        )
        if protocol in TLS_PROTOCOLS:
            spec.ssl_context = server_context(listener.name, get)
            spec.principal_mapper = PrincipalMapper.parse(get("ssl.principal.mapping.rules"))
        if protocol in SASL_PROTOCOLS:
            spec.sasl_mechanisms = tuple(get("sasl.enabled.mechanisms"))
            jaas = get("plain.sasl.jaas.config")
            if jaas:
                try:
                    spec.plain_users = parse_plain_users(jaas)
                except ValueError as e:
                    key = f"listener.name.{listener.name.lower()}.plain.sasl.jaas.config"
                    raise ConfigError(f"{key}: {e}") from None
        specs.append(spec)
    return specs


def _getter(config: BrokerConfig, listener: str):
    return lambda key: listener_value(config, listener, key)


def _advertised(a: Listener) -> tuple[str, int]:
    host = a.host
    if host in WILDCARD_HOSTS or host == "localhost":
        # librdkafka may resolve "localhost" to ::1 first, where nothing listens.
        host = "127.0.0.1"
    # port 0 (only possible when not advertised explicitly): the port bound, known later
    return host, a.port
