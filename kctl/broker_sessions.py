"""Connections to individual brokers over kctl's own wire (kctl.kafka_wire), each knowing the
API versions its broker offers.

Some admin APIs are answered per broker (ListTransactions by each transaction coordinator,
DescribeProducers by each partition's leader), so a command talks to several brokers in one
run. :class:`BrokerSessions` opens one authenticated connection per broker address on first
use (same security settings as every kctl client), asks ApiVersions once, and closes them all
at the end. :meth:`BrokerSession.version` picks the highest version both sides speak, or
raises :class:`Unsupported` naming the API and the broker. :func:`guarded` turns what such
requests raise into kctl's one-line errors.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from confluent_kafka import KafkaException
from kio.schema.api_versions.v2.request import ApiVersionsRequest

from kctl.client import kafka_error, unsupported
from kctl.console import ExitCode, KctlError
from kctl.kafka_wire import Connection, WireError, check, connect

if TYPE_CHECKING:
    from kctl.client import Cluster

T = TypeVar("T")


class Unsupported(Exception):
    """The broker lacks the API (or the version) a request needs."""


@dataclass
class BrokerSession:
    conn: Connection
    label: str  # "broker 1 at host:9092", or just the address when the id is unknown
    versions: dict[int, tuple[int, int]]

    def version(self, api_key: int, name: str, lowest: int, highest: int) -> int:
        """The highest version of ``api_key`` in [lowest, highest] the broker speaks."""
        offered = self.versions.get(api_key)
        if offered is not None:
            top = min(highest, offered[1])
            if top >= max(lowest, offered[0]):
                return top
        wanted = f"v{lowest}" if lowest == highest else f"v{lowest}-{highest}"
        raise Unsupported(f"{name} {wanted} is not supported by {self.label}")

    def request(self, body: Any, response_cls: type | None = None) -> Any:
        return self.conn.request(body, response_cls)


def _session(conn: Connection, label: str) -> BrokerSession:
    """Ask the broker's API versions; the connection is closed if that fails."""
    try:
        answer = conn.request(ApiVersionsRequest())
        check(answer.error_code, None)
    except BaseException:
        conn.close()
        raise
    versions = {int(v.api_key): (int(v.min_version), int(v.max_version))
                for v in answer.api_keys}
    return BrokerSession(conn, label, versions)


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass
class BrokerSessions:
    """One session per broker address, opened on demand; use as a context manager."""

    conf: Mapping[str, Any]
    timeout: float
    _open: dict[str, BrokerSession] = field(default_factory=dict)

    def get(self, host: str, port: int, node_id: int | None = None) -> BrokerSession:
        address = _address(host, port)
        session = self._open.get(address)
        if session is None:
            conn = connect({**self.conf, "bootstrap.servers": address}, self.timeout)
            label = address if node_id is None else f"broker {node_id} at {address}"
            session = self._open[address] = _session(conn, label)
        return session

    def bootstrap(self) -> BrokerSession:
        """A session with the first bootstrap server that answers."""
        conn = connect(self.conf, self.timeout)
        if conn.address in self._open:
            conn.close()
            return self._open[conn.address]
        session = self._open[conn.address] = _session(conn, conn.address)
        return session

    def close(self) -> None:
        for session in self._open.values():
            with contextlib.suppress(OSError):
                session.conn.close()
        self._open.clear()

    def __enter__(self) -> BrokerSessions:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def answer_error(e: WireError, what: str) -> KctlError:
    """An error code in an answer, as confluent-kafka's errors map."""
    return kafka_error(KafkaException(e.error), what)


def guarded(
    what: str,
    call: Callable[[], T],
    wire_error: Callable[[WireError, str], KctlError] = answer_error,
) -> T:
    """Run wire requests; a missing API (exit 9), an error answer or a lost broker as
    one-line KctlErrors saying ``what`` failed."""
    try:
        return call()
    except Unsupported as e:
        raise unsupported(what, str(e)) from e
    except WireError as e:
        raise wire_error(e, what) from e
    except (OSError, ConnectionError) as e:  # socket timeouts are OSErrors too
        raise KctlError(f"{what}: {str(e) or 'timed out'}", ExitCode.UNREACHABLE) from e


def with_bootstrap(cluster: Cluster, what: str, call: Callable[[BrokerSession], T]) -> T:
    """``call`` with a session to the first bootstrap broker that answers (for an API any
    broker answers), guarded."""

    def run() -> T:
        with BrokerSessions(cluster.config(), cluster.timeout) as sessions:
            return call(sessions.bootstrap())

    return guarded(what, run)
