"""The cluster as kctl sees it: confluent-kafka clients built from the global options.

``Cluster(settings)`` turns :class:`kctl.options.Settings` into librdkafka configs
(bootstrap, the profile's security settings and password, then ``-X`` overrides, which win)
and hands out ``admin()``, ``producer(**overrides)`` and ``consumer(**overrides)``.

Failures become :class:`kctl.console.KctlError` with an exit code (:func:`kafka_error`).
An unreachable cluster is reported quickly and clearly: ``connect()`` first tries a plain TCP
connection to the bootstrap servers (refused or unresolvable everywhere: fail at once), then
asks for metadata bounded by ``--timeout`` (default 10 s); librdkafka's own log lines are kept
off the terminal and only used to say *why* (e.g. an authentication failure).

The wire helpers here (topics with partitions, watermarks, configs) are shared by commands.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (
    AdminClient,
    ClusterMetadata,
    ConfigResource,
    ConfigSource,
    OffsetSpec,
)

from kctl import profiles
from kctl.console import ExitCode, KctlError
from kctl.options import Settings

T = TypeVar("T")

DEFAULT_TIMEOUT = 10.0
# A bootstrap TCP check never waits longer than this, whatever --timeout says.
CONNECT_CHECK_TIMEOUT = 3.0

_NOT_FOUND = {
    KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_TOPIC, KafkaError._UNKNOWN_PARTITION,
    KafkaError.GROUP_ID_NOT_FOUND, KafkaError._UNKNOWN_GROUP, KafkaError.RESOURCE_NOT_FOUND,
    KafkaError.UNKNOWN_TOPIC_ID, KafkaError._UNKNOWN_BROKER,
}
_DENIED = {
    KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.GROUP_AUTHORIZATION_FAILED,
    KafkaError.CLUSTER_AUTHORIZATION_FAILED, KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    KafkaError.SASL_AUTHENTICATION_FAILED, KafkaError._AUTHENTICATION,
    KafkaError.DELEGATION_TOKEN_AUTHORIZATION_FAILED, KafkaError.ILLEGAL_SASL_STATE,
    KafkaError.UNSUPPORTED_SASL_MECHANISM, KafkaError.TOPIC_DELETION_DISABLED,
}
_INVALID = {
    KafkaError.INVALID_CONFIG, KafkaError.INVALID_PARTITIONS,
    KafkaError.INVALID_REPLICATION_FACTOR, KafkaError.INVALID_REPLICA_ASSIGNMENT,
    KafkaError.POLICY_VIOLATION, KafkaError.INVALID_REQUEST, KafkaError.INVALID_TIMESTAMP,
    KafkaError.TOPIC_EXCEPTION,  # INVALID_TOPIC_EXCEPTION: a bad topic name
    KafkaError.UNSUPPORTED_COMPRESSION_TYPE, KafkaError._INVALID_ARG, KafkaError.INVALID_GROUP_ID,
    KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.INVALID_RECORD,
}
# The broker lacks the API or version: librdkafka refuses locally (_UNSUPPORTED_FEATURE)
# after ApiVersions, or the broker answers UNSUPPORTED_VERSION.
_UNSUPPORTED = {KafkaError._UNSUPPORTED_FEATURE, KafkaError.UNSUPPORTED_VERSION}
_UNREACHABLE = {
    KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN, KafkaError._TIMED_OUT,
    KafkaError._RESOLVE, KafkaError.NETWORK_EXCEPTION, KafkaError.REQUEST_TIMED_OUT,
    KafkaError._TIMED_OUT_QUEUE,
}


def exit_code_for(err: KafkaError) -> ExitCode:
    code = err.code()
    if code in _NOT_FOUND:
        return ExitCode.NOT_FOUND
    if code in _DENIED:
        return ExitCode.DENIED
    if code in _INVALID:
        return ExitCode.INVALID
    if code in _UNREACHABLE:
        return ExitCode.UNREACHABLE
    if code in _UNSUPPORTED:
        return ExitCode.UNSUPPORTED
    return ExitCode.ERROR


def throwaway_group_refused(err: KafkaError) -> bool:
    """Whether ``err`` only says the principal may not use the made-up group.id of a
    consumer that assign()s partitions (librdkafka requires a group.id and looks up its
    coordinator anyway). Reading needs no group, so on a cluster with ACLs, a consumer with
    Read on the topic but no ACL on that group must not stop for this."""
    return err.code() == KafkaError.GROUP_AUTHORIZATION_FAILED and not err.fatal()


def unsupported(what: str, detail: str) -> KctlError:
    """The one error shape for an API the cluster does not have, whichever command hit it."""
    # librdkafka prefixes its reason with what it was doing ("... worker failed to send
    # request: "); the reason itself names the API and the broker version it needs.
    reason = detail.rsplit(": ", 1)[-1]
    return KctlError(f"{what}: the cluster does not support it ({reason})", ExitCode.UNSUPPORTED)


def kafka_error(exc: BaseException, what: str = "") -> KctlError:
    """A KafkaException/KafkaError as a one-line KctlError, ``what`` saying what failed."""
    err = exc.args[0] if isinstance(exc, KafkaException) and exc.args else exc
    prefix = f"{what}: " if what else ""
    if isinstance(err, KafkaError) and err.code() in _UNSUPPORTED:
        return unsupported(what or "request failed", err.str() or err.name())
    if isinstance(err, KafkaError):
        text = err.str() or err.name()
        name = err.name()
        detail = text if name.lower() in text.lower() else f"{text} ({name})"
        return KctlError(prefix + detail, exit_code_for(err))
    return KctlError(prefix + str(exc), ExitCode.ERROR)


class _LogTail(logging.Handler):
    """Keeps librdkafka's recent warnings/errors (to explain failures) instead of printing."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines = [*self.lines[-19:], record.getMessage()]


def interruptible(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking librdkafka call so that Ctrl-C still interrupts the wait.

    Calls such as ``list_topics`` block in C, where Python cannot deliver KeyboardInterrupt
    until they return (up to the whole timeout). A daemon thread makes the call; the main
    thread waits on a queue, which a signal does interrupt.
    """
    box: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()

    def run() -> None:
        try:
            box.put((True, call(*args, **kwargs)))
        except BaseException as e:
            box.put((False, e))

    threading.Thread(target=run, name="kctl-rdkafka-call", daemon=True).start()
    ok, value = box.get()
    if ok:
        return value
    raise value


def split_bootstrap(bootstrap: str) -> list[tuple[str, int]]:
    """``"a:1,b"`` -> ``[("a", 1), ("b", 9092)]``; IPv6 as ``[::1]:9092``."""
    out = []
    for item in bootstrap.split(","):
        item = item.strip()
        for prefix in ("PLAINTEXT://", "SSL://", "SASL_PLAINTEXT://", "SASL_SSL://"):
            if item.upper().startswith(prefix):
                item = item[len(prefix):]
        if not item:
            continue
        if item.startswith("["):
            host, _, rest = item[1:].partition("]")
            port = rest.lstrip(":") or "9092"
        else:
            host, _, port = item.rpartition(":") if ":" in item else (item, "", "9092")
        if not port.isdigit():
            raise KctlError(f"bad bootstrap server {item!r} (expected HOST:PORT)", ExitCode.USAGE)
        out.append((host, int(port)))
    if not out:
        raise KctlError("no bootstrap server given", ExitCode.USAGE)
    return out


@dataclass(frozen=True)
class PartitionInfo:
    topic: str
    partition: int
    leader: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    error: str | None = None

    @property
    def under_replicated(self) -> bool:
        return len(self.isr) < len(self.replicas)

    @property
    def offline(self) -> bool:
        return self.leader < 0


INTERNAL_TOPICS = frozenset({"__consumer_offsets", "__transaction_state", "__share_group_state"})


@dataclass(frozen=True)
class TopicInfo:
    name: str
    partitions: tuple[PartitionInfo, ...]
    error: str | None = None

    @property
    def internal(self) -> bool:
        # confluent-kafka does not expose Metadata's is_internal: these are the topics Kafka
        # flags (KIP-932 added the share groups' one). Users may name their own "__events".
        return self.name in INTERNAL_TOPICS

    @property
    def replication_factor(self) -> int:
        return max((len(p.replicas) for p in self.partitions), default=0)


@dataclass(frozen=True)
class BrokerInfo:
    node_id: int
    host: str
    port: int


@dataclass(frozen=True)
class ClusterView:
    cluster_id: str | None
    controller_id: int
    brokers: tuple[BrokerInfo, ...]
    topics: tuple[TopicInfo, ...]


@dataclass(frozen=True)
class ConfigValue:
    name: str
    value: str | None
    source: str
    read_only: bool
    sensitive: bool
    default: bool

    def shown(self) -> str | None:
        return "*****" if self.sensitive and self.value is not None else self.value


@dataclass
class Cluster:
    """Clients for one cluster, configured from the merged global options."""

    settings: Settings
    _logs: _LogTail = field(default_factory=_LogTail)
    _admin: AdminClient | None = None

    @property
    def bootstrap(self) -> str:
        return self.settings.bootstrap

    @property
    def timeout(self) -> float:
        return self.settings.timeout or DEFAULT_TIMEOUT

    def config(self, **overrides: Any) -> dict[str, Any]:
        """librdkafka config: bootstrap, profile security, -X, then ``overrides``."""
        conf: dict[str, Any] = {"bootstrap.servers": self.bootstrap, "client.id": "kctl"}
        profile = self.settings.profile
        if profile is not None:
            try:
                conf.update(profile.client_config())
            except profiles.ProfileError as e:
                raise KctlError(str(e), ExitCode.INVALID) from e
        conf.update(self.settings.client_props)
        conf.update(overrides)
        if "debug" not in conf:
            logger = logging.getLogger(f"kctl.rdkafka.{id(self)}")
            logger.propagate = False
            logger.handlers = [self._logs]
            conf["logger"] = logger
        return conf

    def _make(self, factory: Any, conf: dict[str, Any]) -> Any:
        try:
            return factory(conf)
        except (KafkaException, ValueError, TypeError) as e:
            # Unknown or malformed properties (usually from -X) end up here.
            message = e.args[0].str() if e.args and isinstance(e.args[0], KafkaError) else str(e)
            raise KctlError(f"invalid client configuration: {message}", ExitCode.INVALID) from e

    def admin(self) -> AdminClient:
        if self._admin is None:
            self._admin = self._make(AdminClient, self.config())
        return self._admin

    def reset_admin(self) -> None:
        """Forget the AdminClient; the next ``admin()`` builds a new one.

        For long-lived callers (the dashboard): after every broker was unreachable,
        librdkafka (2.10+) re-bootstraps, and a client that did so can be left unable to
        reach a group coordinator, its requests timing out for ever (librdkafka #5511).
        """
        self._admin = None

    def producer(self, **overrides: Any) -> Producer:
        conf = self.config(**overrides)
        # A key goes to the partition the Java client (and kafka-console-producer) would pick,
        # not librdkafka's CRC32 default: a key produced by kctl and by a Java or Streams app
        # must land in the same partition, or per-key order is lost. -X partitioner=... wins.
        conf.setdefault("partitioner", "murmur2_random")
        return self._make(Producer, conf)

    def consumer(self, **overrides: Any) -> Consumer:
        # librdkafka wants a group.id even for assign(); a throwaway one commits nothing.
        overrides.setdefault("group.id", f"kctl-{uuid.uuid4().hex[:12]}")
        overrides.setdefault("enable.auto.commit", False)
        return self._make(Consumer, self.config(**overrides))

    # --- reachability -------------------------------------------------------------------

    def check_reachable(self) -> None:
        """Fail fast (exit 5) if no bootstrap server accepts a TCP connection."""
        if any(k in self.settings.client_props for k in ("socks5.proxy", "client.dns.lookup")):
            return  # the client reaches the cluster some other way; let it decide
        reasons = []
        for host, port in split_bootstrap(self.bootstrap):
            try:
                socket.create_connection(
                    (host, port), min(self.timeout, CONNECT_CHECK_TIMEOUT)
                ).close()
                return
            except socket.gaierror:
                reasons.append(f"cannot resolve {host}")
            except TimeoutError:
                reasons.append("connection timed out")
            except OSError as e:
                reasons.append((e.strerror or str(e)).lower())
        reason = "; ".join(dict.fromkeys(reasons))
        raise KctlError(f"cannot reach cluster at {self.bootstrap} ({reason})",
                        ExitCode.UNREACHABLE)

    def unreachable(self, exc: BaseException | None = None) -> KctlError:
        """The error for a cluster that did not answer, with librdkafka's reason if known."""
        if self._admin is not None:
            self._admin.poll(0)  # serve queued log lines into _logs
        text = " ".join(self._logs.lines[-3:]).lower()
        if "authentication" in text or "sasl" in text:
            why = self._logs.lines[-1].split(": ", 1)[-1]
            return KctlError(f"authentication failed at {self.bootstrap}: {why}", ExitCode.DENIED)
        if "ssl" in text or "certificate" in text:
            why = self._logs.lines[-1].split(": ", 1)[-1]
            return KctlError(f"TLS handshake failed at {self.bootstrap}: {why}",
                             ExitCode.UNREACHABLE)
        detail = f"no answer within {self.timeout:g}s"
        err = exc.args[0] if isinstance(exc, KafkaException) and exc.args else None
        if isinstance(err, KafkaError) and err.code() not in (
            KafkaError._TIMED_OUT, KafkaError._TRANSPORT
        ):
            detail = err.str()
        return KctlError(f"cannot reach cluster at {self.bootstrap} ({detail})",
                         ExitCode.UNREACHABLE)

    def metadata(self, topic: str | None = None) -> ClusterMetadata:
        """Cluster metadata, bounded by the timeout; a clear error if nobody answers."""
        admin = self.admin()  # bad -X properties are reported before connecting
        self.check_reachable()
        try:
            return interruptible(admin.list_topics, topic=topic, timeout=self.timeout)
        except KafkaException as e:
            err = e.args[0] if e.args else None
            if isinstance(err, KafkaError) and err.code() in _UNREACHABLE:
                raise self.unreachable(e) from e
            raise kafka_error(e, "metadata request failed") from e

    # --- wire helpers shared by commands -------------------------------------------------

    def cluster_view(self, topic: str | None = None) -> ClusterView:
        md = self.metadata(topic)
        brokers = tuple(
            BrokerInfo(b.id, b.host, b.port)
            for b in sorted(md.brokers.values(), key=lambda b: b.id)
        )
        topics = tuple(_topic_info(t) for _, t in sorted(md.topics.items()))
        return ClusterView(md.cluster_id, md.controller_id, brokers, topics)

    def topics(self, *, internal: bool = False) -> list[TopicInfo]:
        """All topics with partitions, sorted by name; internal ones only if asked."""
        return [t for t in self.cluster_view().topics if internal or not t.internal]

    def topic(self, name: str) -> TopicInfo:
        """One topic's metadata; NOT_FOUND if it does not exist (never auto-created)."""
        # Listing all topics (rather than asking for one) never triggers auto-creation.
        for t in self.cluster_view().topics:
            if t.name == name:
                if t.error and not t.partitions:
                    raise KctlError(f"topic {name!r}: {t.error}", ExitCode.ERROR)
                return t
        raise KctlError(f"topic {name!r} does not exist", ExitCode.NOT_FOUND)

    def broker(self, node_id: int) -> BrokerInfo:
        """One broker's address; NOT_FOUND, naming the brokers there are, if it is not one."""
        brokers = self.cluster_view().brokers
        for b in brokers:
            if b.node_id == node_id:
                return b
        ids = ", ".join(str(b.node_id) for b in brokers)
        raise KctlError(f"broker {node_id} does not exist (brokers: {ids})", ExitCode.NOT_FOUND)

    def watermarks(
        self, partitions: Iterable[tuple[str, int]]
    ) -> dict[tuple[str, int], tuple[int | None, int | None]]:
        """(topic, partition) -> (log start, log end) offsets; None where the broker failed."""
        tps = list(partitions)
        if not tps:
            return {}
        low = self._list_offsets(tps, OffsetSpec.earliest())
        high = self._list_offsets(tps, OffsetSpec.latest())
        return {tp: (low.get(tp), high.get(tp)) for tp in tps}

    def _list_offsets(self, tps: Sequence[tuple[str, int]], spec: OffsetSpec) -> dict:
        request = {TopicPartition(t, p): spec for t, p in tps}
        futures = self.admin().list_offsets(request, request_timeout=self.timeout)
        result: dict[tuple[str, int], int] = {}
        for tp, fut in futures.items():
            try:
                result[(tp.topic, tp.partition)] = fut.result(self.timeout).offset
            except KafkaException:
                continue  # reported as unknown (None) by the caller's table
        return result

    def describe_configs(self, resource: ConfigResource) -> list[ConfigValue]:
        fut = self.admin().describe_configs([resource], request_timeout=self.timeout)[resource]
        try:
            entries = fut.result(self.timeout)
        except KafkaException as e:
            raise kafka_error(e, f"describe configs of {_resource_name(resource)}") from e
        return [
            ConfigValue(
                name=e.name,
                value=e.value,
                source=_source_name(e.source),
                read_only=bool(e.is_read_only),
                sensitive=bool(e.is_sensitive),
                default=bool(e.is_default),
            )
            for e in sorted(entries.values(), key=lambda e: e.name)
        ]


def _source_name(source: Any) -> str:
    # confluent-kafka hands some sources over as plain ints rather than ConfigSource.
    try:
        return ConfigSource(source).name
    except ValueError:
        return str(source)


def _resource_name(resource: ConfigResource) -> str:
    kind = getattr(resource.restype, "name", str(resource.restype)).lower()
    return f"{kind} {resource.name}"


def _topic_info(t: Any) -> TopicInfo:
    parts = tuple(
        PartitionInfo(
            topic=t.topic,
            partition=p.id,
            leader=p.leader,
            replicas=tuple(p.replicas),
            isr=tuple(p.isrs),
            error=p.error.str() if p.error else None,
        )
        for _, p in sorted(t.partitions.items())
    )
    return TopicInfo(t.topic, parts, t.error.str() if t.error else None)


def connect(s: Settings) -> Cluster:
    """A Cluster for these settings (clients are created lazily, on first use)."""
    return Cluster(s)
