"""The server-side TLS context of an SSL or SASL_SSL listener, from Kafka's ssl.* configs.

Only PEM stores are read (Python's ssl module loads PEM; JKS/PKCS12 are refused at config
load). An inline chain and key (ssl.keystore.certificate.chain / ssl.keystore.key) are written
to a private temporary file for the moment of loading, because load_cert_chain reads files only.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from collections.abc import Callable
from typing import Any

from broker.config import ConfigError

_VERSIONS = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}
_CLIENT_AUTH = {
    "none": ssl.CERT_NONE,
    "requested": ssl.CERT_OPTIONAL,
    "required": ssl.CERT_REQUIRED,
}
# TLS 1.3 suites cannot be chosen through the ssl module; naming them is accepted, not acted on.
_TLS13_SUITES = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}


def server_context(listener: str, get: Callable[[str], Any]) -> ssl.SSLContext:
    """A context for ``listener``; ``get(key)`` reads a config with its per-listener override.

    Raises ConfigError (one line naming the key) when the stores cannot be used.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _load_keystore(ctx, listener, get)
    versions = sorted(_VERSIONS[v] for v in get("ssl.enabled.protocols"))
    ctx.minimum_version, ctx.maximum_version = versions[0], versions[-1]
    suites = [s for s in get("ssl.cipher.suites") or [] if s not in _TLS13_SUITES]
    if suites:
        try:
            ctx.set_ciphers(":".join(suites))
        except ssl.SSLError:
            raise ConfigError(
                f"ssl.cipher.suites ({listener}): OpenSSL knows none of {', '.join(suites)}"
            ) from None
    ctx.verify_mode = _CLIENT_AUTH[get("ssl.client.auth")]
    if ctx.verify_mode != ssl.CERT_NONE:
        _load_truststore(ctx, listener, get)
    return ctx


def _load_keystore(ctx: ssl.SSLContext, listener: str, get: Callable[[str], Any]) -> None:
    location = get("ssl.keystore.location")
    chain, key = get("ssl.keystore.certificate.chain"), get("ssl.keystore.key")
    password = get("ssl.key.password")
    if location:
        try:
            ctx.load_cert_chain(location, password=password)
        except FileNotFoundError:
            raise ConfigError(f"ssl.keystore.location ({listener}): {location} not found") from None
        except (ssl.SSLError, OSError) as e:
            raise ConfigError(
                f"ssl.keystore.location ({listener}): {location} is not a PEM certificate chain "
                f"with its private key (or ssl.key.password is wrong): {_reason(e)}"
            ) from None
        return
    if not (chain and key):
        raise ConfigError(
            f"listener {listener} uses TLS and needs ssl.keystore.location, or "
            "ssl.keystore.certificate.chain with ssl.keystore.key"
        )
    fd, path = tempfile.mkstemp(suffix=".pem")  # created 0600
    try:
        with os.fdopen(fd, "w") as f:
            f.write(f"{key.strip()}\n{chain.strip()}\n")
        ctx.load_cert_chain(path, password=password)
    except (ssl.SSLError, OSError) as e:
        raise ConfigError(
            f"ssl.keystore.certificate.chain/ssl.keystore.key ({listener}): not a usable PEM "
            f"chain and key: {_reason(e)}"
        ) from None
    finally:
        os.unlink(path)


def _load_truststore(ctx: ssl.SSLContext, listener: str, get: Callable[[str], Any]) -> None:
    location, inline = get("ssl.truststore.location"), get("ssl.truststore.certificates")
    try:
        if location:
            ctx.load_verify_locations(cafile=location)
        elif inline:
            ctx.load_verify_locations(cadata=inline)
        else:  # Kafka falls back to the JVM's default trust store
            ctx.load_default_certs(ssl.Purpose.CLIENT_AUTH)
    except FileNotFoundError:
        raise ConfigError(f"ssl.truststore.location ({listener}): {location} not found") from None
    except (ssl.SSLError, OSError, ValueError) as e:
        raise ConfigError(
            f"ssl.truststore ({listener}): not a PEM bundle of CA certificates: {_reason(e)}"
        ) from None


def _reason(e: Exception) -> str:
    return getattr(e, "reason", None) or str(e) or type(e).__name__
