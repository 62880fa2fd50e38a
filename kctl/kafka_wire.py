"""kctl's own Kafka connection, for requests librdkafka cannot make (see kctl.acl_admin).

It reads the same librdkafka settings kctl builds for its clients (``Cluster.config()``:
bootstrap, ``security.protocol``, ``ssl.*``, ``sasl.*``), connects to the first bootstrap
server that answers, sets up TLS with the standard library's ssl module, and authenticates
with SaslHandshake v1 + SaslAuthenticate v1: PLAIN, or SCRAM-SHA-256/512 through scramp.
Other mechanisms (GSSAPI, OAUTHBEARER) are refused with a clear error. Requests use
kio's encodings of either kind of version: request header v1 for non-flexible ones, v2 (with
tagged fields) for flexible ones such as the transaction admin APIs; every frame length is
bounded.
"""

from __future__ import annotations

import contextlib
import io
import socket
import ssl
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import scramp
from confluent_kafka import KafkaError
from kio.index import load_response_schema
from kio.schema.response_header.v1.header import ResponseHeader
from kio.schema.sasl_authenticate.v1.request import SaslAuthenticateRequest
from kio.schema.sasl_handshake.v1.request import SaslHandshakeRequest
from kio.serial import entity_reader, entity_writer

from kctl.client import split_bootstrap
from kctl.console import ExitCode, KctlError

MAX_FRAME = 64 * 1024 * 1024  # no answer kctl asks for comes near this
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
CLIENT_ID = b"kctl"
API_VERSIONS = 18  # its answers keep response header v0 in every version, flexible or not


class UnsupportedMechanism(KctlError):
    """The profile's SASL mechanism is one kctl's own connection cannot speak."""


class WireError(Exception):
    """A Kafka error code in an answer, as confluent-kafka would have reported it."""

    def __init__(self, code: int, message: str | None) -> None:
        self.error = KafkaError(code, message or KafkaError(code).str())
        super().__init__(self.error.str())


@dataclass
class Connection:
    sock: socket.socket
    address: str
    correlation: int = 0

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def request(self, body: Any, response_cls: type | None = None) -> Any:
        """Send a kio request; return the decoded response (read as ``response_cls`` where
        kio's own class cannot read every answer)."""
        cls = type(body)
        self.correlation += 1
        header = struct.pack(">hhih", cls.__api_key__, cls.__version__, self.correlation,
                             len(CLIENT_ID)) + CLIENT_ID
        if cls.__flexible__:
            header += b"\0"  # no tagged fields
        payload = io.BytesIO()
        entity_writer(cls)(payload, body)
        frame = header + payload.getvalue()
        self.sock.sendall(struct.pack(">i", len(frame)) + frame)
        (size,) = struct.unpack(">i", self._read(4))
        if not 4 <= size <= MAX_FRAME:
            raise ConnectionError(f"implausible answer of {size} bytes from {self.address}")
        answer = self._read(size)
        (correlation,) = struct.unpack_from(">i", answer)
        if correlation != self.correlation:
            raise ConnectionError(f"{self.address} answered out of order")
        start = 4
        if cls.__flexible__ and cls.__api_key__ != API_VERSIONS:
            _, start = entity_reader(ResponseHeader)(answer, 0)
        response_cls = response_cls or load_response_schema(cls.__api_key__, cls.__version__)
        response, _ = entity_reader(response_cls)(answer, start)
        return response

    def _read(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError(f"{self.address} closed the connection")
            buf += chunk
        return bytes(buf)


def _tls_context(conf: Mapping[str, Any]) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=conf.get("ssl.ca.location") or None)
    cert = conf.get("ssl.certificate.location")
    if cert:
        ctx.load_cert_chain(cert, conf.get("ssl.key.location") or None,
                            password=conf.get("ssl.key.password") or None)
    if str(conf.get("enable.ssl.certificate.verification", "true")).lower() == "false":
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif str(conf.get("ssl.endpoint.identification.algorithm", "https")).lower() == "none":
        ctx.check_hostname = False
    return ctx


def connect(conf: Mapping[str, Any], timeout: float) -> Connection:
    """An authenticated connection to a bootstrap server, configured like librdkafka."""
    protocol = str(conf.get("security.protocol", "PLAINTEXT")).upper()
    mechanism = str(conf.get("sasl.mechanism", "GSSAPI")).upper()
    if protocol.startswith("SASL") and mechanism not in SASL_MECHANISMS:
        raise UnsupportedMechanism(f"this request needs kctl's own connection, which supports "
                                   f"SASL {', '.join(SASL_MECHANISMS)}, not {mechanism}",
                                   ExitCode.ERROR)
    reasons = []
    for host, port in split_bootstrap(str(conf["bootstrap.servers"])):
        address = f"{host}:{port}"
        try:
            sock = socket.create_connection((host, port), timeout)
        except OSError as e:
            reasons.append(f"{address}: {(e.strerror or str(e)).lower()}")
            continue
        sock.settimeout(timeout)
        try:
            if "SSL" in protocol:
                sock = _tls_context(conf).wrap_socket(sock, server_hostname=host)
        except (ssl.SSLError, OSError) as e:
            sock.close()
            raise KctlError(f"TLS handshake failed at {address}: {e}",
                            ExitCode.UNREACHABLE) from e
        conn = Connection(sock, address)
        try:
            if protocol.startswith("SASL"):
                _authenticate(conn, mechanism, str(conf.get("sasl.username", "")),
                              str(conf.get("sasl.password", "")))
        except BaseException:
            conn.close()
            raise
        return conn
    raise KctlError(f"cannot reach cluster at {conf['bootstrap.servers']} "
                    f"({'; '.join(reasons)})", ExitCode.UNREACHABLE)


def _authenticate(conn: Connection, mechanism: str, username: str, password: str) -> None:
    handshake = conn.request(SaslHandshakeRequest(mechanism=mechanism))
    if handshake.error_code:
        offered = ", ".join(handshake.mechanisms)
        raise KctlError(f"authentication failed at {conn.address}: the broker does not "
                        f"offer {mechanism} (it offers {offered})", ExitCode.DENIED)
    if mechanism == "PLAIN":
        _step(conn, f"\0{username}\0{password}".encode())
        return
    client = scramp.ScramClient([mechanism], username, password)
    server_first = _step(conn, client.get_client_first().encode())
    try:
        client.set_server_first(server_first.decode())
        server_final = _step(conn, client.get_client_final().encode())
        client.set_server_final(server_final.decode())
    except scramp.ScramException as e:
        raise KctlError(f"authentication failed at {conn.address}: {e}",
                        ExitCode.DENIED) from e


def _step(conn: Connection, data: bytes) -> bytes:
    answer = conn.request(SaslAuthenticateRequest(auth_bytes=data))
    if answer.error_code:
        why = answer.error_message or KafkaError(int(answer.error_code)).str()
        raise KctlError(f"authentication failed at {conn.address}: {why}", ExitCode.DENIED)
    return bytes(answer.auth_bytes)


def check(error_code: int, error_message: str | None) -> None:
    """Raise :class:`WireError` for a non-zero error code in an answer."""
    if error_code:
        raise WireError(int(error_code), error_message)
