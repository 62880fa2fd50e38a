"""The broker node: wires configuration, metadata, partition logs and the network together.

It owns the lifecycle (start, serve, stop) and the maps handlers read: topics from the
metadata image, and the Partition objects of this node. Metadata changes arrive as committed
records; the node reacts by opening or deleting partition logs, so the same path will serve
records replicated from a Raft quorum later.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from broker.config import BrokerConfig
from broker.errors import ErrorCode, KafkaError
from broker.fd_limit import FILES_PER_PARTITION, headroom
from broker.fetch_sessions import FetchSessionCache
from broker.group.coordinator import CoordinatorConfig, GroupCoordinator
from broker.group.offsets_topic import OffsetsTopic
from broker.group.timers import LoopScheduler
from broker.log.cleaner import CleanerConfig, LogCleaner
from broker.log.dir_lock import DirLock
from broker.log.index_file import IndexFile
from broker.log.log import LogConfig
from broker.log.manager import LogManager, TopicPartition
from broker.log.retention import RetentionPolicy, RetentionResult, RetentionTask
from broker.metadata.changes import touched_topics
from broker.metadata.controller import INTERNAL_TOPICS, Controller
from broker.metadata.quorum import MetadataQuorum
from broker.metadata.store import MetadataStore
from broker.metadata.topic_config import effective_values
from broker.metrics import Metrics
from broker.partition.partition import Partition, PartitionSettings, ProduceResult
from broker.partition.record_policy import RecordPolicy
from broker.quotas.enforcer import ClientQuotas
from broker.quotas.enforcer import attach as attach_client_quotas
from broker.security.acl.authorizer import AclAuthorizer
from broker.security.credentials import MECHANISMS, from_password
from broker.security.settings import ListenerSpec, build_listeners
from broker.txn.coordinator import TransactionCoordinator, TxnConfig
from broker.txn.markers import LocalMarkerChannel
from broker.txn.state_topic import TransactionStateTopic

if TYPE_CHECKING:
    from broker.admin_http.server import AdminServer
    from broker.metadata.image import MetadataImage, TopicImage
    from broker.network.connection import Connection

log = logging.getLogger("broker")

FLUSH_CHECK_INTERVAL_S = 0.1
OFFLINE_RETRY_S = 5.0  # how often partitions that failed to open are tried again


class Broker:
    def __init__(
        self, config: BrokerConfig, add_scram: list[tuple[int, str, str, int]] | None = None
    ) -> None:
        self.config = config
        self.add_scram = add_scram or []  # (mechanism, name, password, iterations) to ensure
        self.node_id: int = config.get("node.id")
        self.data_dir = Path(_first(config.get("log.dirs"))).expanduser()
        # every listener with its protocol, TLS context and SASL settings (ConfigError if not)
        self.listeners: dict[str, ListenerSpec] = {s.name: s for s in build_listeners(config)}
        self.connections: set[Connection] = set()
        self.metrics = Metrics()
        self.partitions: dict[tuple[str, int], Partition] = {}
        # incremental fetch sessions (KIP-227), read and kept by the Fetch handler
        self.fetch_sessions = FetchSessionCache(
            config.get("max.incremental.fetch.session.cache.slots"),
            config.get("min.incremental.fetch.session.eviction.ms"),
        )
        # partitions whose log could not be opened (out of open files, a disk error), with
        # the error: served as KAFKA_STORAGE_ERROR and retried until they open
        self.offline: dict[tuple[str, int], str] = {}
        self._tasks: list[asyncio.Task] = []
        self.cleaner: LogCleaner | None = None  # compaction (log.cleaner.enable)
        self.retention: RetentionTask | None = None  # set up in start()
        self.admin: AdminServer | None = None  # HTTP admin/metrics, when admin.listen is set
        self.groups: GroupCoordinator | None = None  # consumer groups, set up in start()
        self.txn: TransactionCoordinator | None = None  # transactions, set up in start()
        self.authorizer: AclAuthorizer | None = None  # ACLs, with authorizer.class.name
        # Set while a client quota is enforced (broker/quotas); connections check it per request.
        self.client_quotas: ClientQuotas | None = None
        self._servers: list[asyncio.AbstractServer] = []
        self.stopped = asyncio.Event()
        self._dir_lock = DirLock(self.data_dir)

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        from broker.network.server import serve

        started = time.monotonic()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._dir_lock.acquire()  # before recovery touches a file: DirectoryInUse if taken
        self.metadata = MetadataStore.open(
            self.data_dir, node_id=self.node_id, cluster_id=self.config.get("cluster.id") or None
        )
        self.quorum = MetadataQuorum.elect(self.metadata)  # sole voter: leader of a new epoch
        self.controller = Controller(self.metadata, self.config)
        attach_client_quotas(self)
        self._add_scram_users()  # before serving: a SASL-only cluster's first login needs them
        self.authorizer = AclAuthorizer.attach(self.metadata, self.config)
        self.logs = LogManager(self.data_dir)
        self.logs.startup()
        self._on_metadata([], self.metadata.image)
        self.metadata.subscribe(self._on_metadata)
        # groups after the partitions are open: loading replays __consumer_offsets
        self.groups = GroupCoordinator(
            CoordinatorConfig.from_broker_config(self.config),
            LoopScheduler(asyncio.get_running_loop()),
            OffsetsTopic(self),
            lambda group: self.metadata.image.group_configs.get(group),
        )
        self.groups.load()
        self.groups.start()
        # after the groups: completing a prepared transaction decides pending offsets
        self.txn = TransactionCoordinator(
            TxnConfig.from_broker_config(self.config),
            LoopScheduler(asyncio.get_running_loop()),
            TransactionStateTopic(self),
            LocalMarkerChannel(self),
            self.controller.allocate_producer_id,
        )
        self.txn.load()
        self.txn.start()
        for spec in self.listeners.values():
            self._servers.append(await serve(self, spec))
        self._tasks.append(asyncio.get_running_loop().create_task(self._flush_loop()))
        self._tasks.append(asyncio.get_running_loop().create_task(self._warm_codecs()))
        self.retention = RetentionTask(
            self.logs,
            self._retention_policy,
            int(self.config.get("log.retention.check.interval.ms")),
            on_deleted=self._on_retention,
        )
        self._tasks.append(asyncio.get_running_loop().create_task(self.retention.run()))
        admin_listen = self.config.get("admin.listen")
        if admin_listen:
            from broker.admin_http.server import start_admin

            self.admin = await start_admin(self, admin_listen)
        if self.config.get("log.cleaner.enable"):
            self.cleaner = LogCleaner(
                self.logs,
                self._cleaner_config,
                backoff_ms=int(self.config.get("log.cleaner.backoff.ms")),
                io_max_bytes_per_second=float(
                    self.config.get("log.cleaner.io.max.bytes.per.second")
                ),
            )
            self._tasks.append(asyncio.get_running_loop().create_task(self.cleaner.run()))
        log.info(
            "broker %d (cluster %s) ready on %s in %.0f ms, data in %s",
            self.node_id,
            self.cluster_id,
            ", ".join(f"{s.name}://{s.host}:{s.port}" for s in self.listeners.values()),
            (time.monotonic() - started) * 1000,
            self.data_dir,
        )

    async def stop(self) -> None:
        from broker.network.server import close_connections

        for server in self._servers:
            server.close()
        if self.admin is not None:
            await self.admin.stop()
        if self.groups is not None:
            self.groups.stop()
        if self.txn is not None:
            self.txn.stop()
        await close_connections(self)
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.logs.shutdown()
        self.metadata.close()
        self._dir_lock.release()  # last: the clean-stop marker is written
        self.stopped.set()
        log.info("broker %d stopped cleanly", self.node_id)

    def _add_scram_users(self) -> None:
        """--add-scram: create each credential unless the user has one for the mechanism."""
        for mechanism, name, password, iterations in self.add_scram:
            if mechanism in self.metadata.image.scram_credentials.get(name, {}):
                continue
            self.controller.put_scram_credential(
                from_password(name, mechanism, password, iterations)
            )
            log.info("created %s credential for user %s", MECHANISMS[mechanism], name)

    async def _warm_codecs(self) -> None:
        # kio imports each message version on first use (a few ms each); doing it for the
        # versions clients ask for, one per loop turn, keeps that out of the first requests'
        # latency without delaying start-up.
        from broker.protocol.codec import client_versions, warm

        for key, version in client_versions():
            warm(key, version)
            await asyncio.sleep(0)
        # The ~80k objects of start-up (kio's generated classes above all) live forever, yet
        # every full collection walked them: 30-40 ms measured here, with no connection
        # served meanwhile (at 2k msg/s that delays ~80 messages and the backlog behind
        # them: about the 1% of a 5 s latency run that its p99 looks at).
        # Frozen, they are left out; objects made while serving are collected as before.
        gc.collect()
        gc.freeze()

    async def _flush_loop(self) -> None:
        failing = None  # the error of the last pass: logged once, not ten times a second
        next_retry = 0.0
        while True:
            await asyncio.sleep(FLUSH_CHECK_INTERVAL_S)
            try:
                self.logs.flush_due(int(time.time() * 1000))
            except OSError as e:
                if str(e) != failing:
                    log.exception("periodic flush failed")
                    failing = str(e)
            else:
                if failing is not None:
                    log.info("periodic flush works again")
                    failing = None
            if self.offline and time.monotonic() >= next_retry:
                next_retry = time.monotonic() + OFFLINE_RETRY_S
                for topic in self._offline_topics(self.metadata.image).values():
                    self._open_topic(topic)

    def _retention_policy(self, topic_name: str) -> RetentionPolicy | None:
        """Retention settings of a topic, read at each pass (so AlterConfigs applies)."""
        topic = self.topic(topic_name)
        if topic is None:
            return None
        cfg = effective_values(topic.configs, self.config)
        return RetentionPolicy.from_topic_config(cfg)

    def _on_retention(self, key: TopicPartition, result: RetentionResult) -> None:
        self.metrics.retention_deleted_segments(*key, result.segments_deleted)

    def _cleaner_config(self, topic_name: str) -> CleanerConfig | None:
        """Compaction settings of a topic, read at each pass (so AlterConfigs applies)."""
        topic = self.topic(topic_name)
        if topic is None:
            return None
        cfg = effective_values(topic.configs, self.config)
        return CleanerConfig.from_topic_config(cfg)

    # --- what handlers read -----------------------------------------------------------------

    @property
    def serving(self) -> bool:
        """The Kafka listener accepts connections (the admin endpoint's /readyz)."""
        return bool(self._servers) and all(s.is_serving() for s in self._servers)

    def endpoint(self, listener: str) -> tuple[str, int]:
        """This broker's advertised address on ``listener`` (Kafka answers Metadata,
        FindCoordinator and DescribeCluster with the endpoint of the request's listener)."""
        return self.listeners[listener].endpoint

    @property
    def cluster_id(self) -> str:
        return self.metadata.cluster_id

    @property
    def auto_create_enabled(self) -> bool:
        return bool(self.config.get("auto.create.topics.enable"))

    def topics(self) -> list[TopicImage]:
        return list(self.metadata.image.topics_by_name.values())

    def topic(self, name: str) -> TopicImage | None:
        return self.metadata.image.topics_by_name.get(name)

    def topic_by_id(self, topic_id: uuid.UUID) -> TopicImage | None:
        return self.metadata.image.topics_by_id.get(topic_id)

    def partition(self, topic: str | None, index: int) -> Partition | None:
        return self.partitions.get((topic, index))  # type: ignore[arg-type]

    def missing_partition(self, topic: str, index: int) -> KafkaError:
        """The error for a partition ``partition()`` did not find: offline, or unknown."""
        error = self.offline.get((topic, index))
        if error is not None:
            return KafkaError(ErrorCode.kafka_storage_error, f"{topic}-{index} is offline: {error}")
        return KafkaError(ErrorCode.unknown_topic_or_partition, f"{topic}-{index} does not exist")

    def auto_create_topic(self, name: str) -> TopicImage:
        topic = self.controller.create_topic(name, -1, -1, {})
        log.info("auto-created topic %s with %d partition(s)", name, len(topic.partitions))
        return topic

    def produce(
        self, partition: Partition, data: bytes | memoryview, acks: int, *, from_client: bool = True
    ) -> ProduceResult:
        if from_client and partition.topic in INTERNAL_TOPICS:
            # Group and transaction state is written by the coordinators alone; a client's
            # record would be replayed as state at the next start (Kafka refuses it too).
            raise KafkaError(
                ErrorCode.invalid_topic_exception,
                f"Cannot append to internal topic {partition.topic}",
            )
        try:
            result = partition.append(data, acks, from_client=from_client)
        except OSError as e:
            log.error("append to %s-%d failed: %s", partition.topic, partition.index, e)
            raise KafkaError(ErrorCode.kafka_storage_error, f"log write failed: {e}") from e
        self.metrics.produced(len(data))
        return result

    # --- reacting to metadata ---------------------------------------------------------------

    def _on_metadata(self, records, image) -> None:
        live = {(t.name, i) for t in image.topics_by_name.values() for i in t.partitions}
        deleted = [k for k in self.logs.logs() if k not in live]
        if deleted and self.groups is not None:
            # committed offsets of a deleted topic must not resurface if it is recreated
            self.groups.remove_offsets_of_topics({topic for topic, _ in deleted})
        for key in [k for k in self.offline if k not in live]:
            del self.offline[key]
        for key in deleted:
            partition = self.partitions.pop(key, None)
            if partition is not None:
                partition.wake_fetchers()
            self.logs.delete(*key)
            log.info("deleted partition %s-%d", *key)
        topics = {t.name: t for t in touched_topics(records, image)}
        topics |= self._offline_topics(image)  # a deletion may have freed what they lacked
        for topic in topics.values():
            self._open_topic(topic)

    def _offline_topics(self, image: MetadataImage) -> dict[str, TopicImage]:
        """The topics of ``image`` with a partition offline, by name."""
        names = {name for name, _ in self.offline}
        return {n: t for n in names if (t := image.topics_by_name.get(n)) is not None}

    def topic_settings(self, topic: TopicImage) -> tuple[LogConfig, PartitionSettings]:
        cfg = effective_values(topic.configs, self.config)
        log_config = LogConfig(
            segment_bytes=int(cfg["segment.bytes"]),
            segment_ms=int(cfg["segment.ms"]),
            segment_jitter_ms=int(cfg["segment.jitter.ms"]),
            index_interval_bytes=int(cfg["index.interval.bytes"]),
            segment_index_bytes=int(cfg["segment.index.bytes"]),
            flush_messages=_optional(cfg.get("flush.messages")),
            flush_ms=_optional(cfg.get("flush.ms")),
        )
        settings = PartitionSettings(
            max_message_bytes=int(cfg["max.message.bytes"]),
            log_append_time=cfg["message.timestamp.type"] == "LogAppendTime",
            min_insync_replicas=int(cfg["min.insync.replicas"]),
            record_policy=RecordPolicy.from_config(cfg),
        )
        return log_config, settings

    def _open_topic(self, topic: TopicImage) -> None:
        log_config, settings = self.topic_settings(topic)
        files: int | None = None  # open files left for new partitions (None: cannot tell)
        counted = False  # counted once per topic, and only when a partition is opened
        for index, image in topic.partitions.items():
            key = (topic.name, index)
            existing = self.partitions.get(key)
            if existing is not None:
                existing.settings = settings
                existing.log.update_config(log_config)
                existing.leader_epoch = image.leader_epoch
                continue
            if not counted:
                # each open partition may still open its active segment's two index files
                files, counted = headroom(2 * len(self.partitions) - IndexFile.held), True
            if files is not None:
                if files < FILES_PER_PARTITION:
                    self._set_offline(key, "too few open files left: raise `ulimit -n`")
                    continue
                files -= FILES_PER_PARTITION
            try:
                plog = self.logs.get_or_create(topic.name, index, log_config)
                partition = Partition(
                    topic=topic.name,
                    index=index,
                    topic_id=topic.topic_id,
                    log=plog,
                    leader=image.leader,
                    replicas=list(image.replicas),
                    isr=list(image.isr),
                    leader_epoch=image.leader_epoch,
                    settings=settings,
                )
            except OSError as e:
                # one partition's failure must not keep the others (or later topics) closed
                self._set_offline(key, f"cannot open its log: {e}")
                continue
            if self.offline.pop(key, None) is not None:
                log.info("partition %s-%d is online", *key)
            self.partitions[key] = partition

    def _set_offline(self, key: tuple[str, int], reason: str) -> None:
        if key not in self.offline:
            log.error("partition %s-%d is offline: %s", *key, reason)
        self.offline[key] = reason


def _first(value) -> str:
    if isinstance(value, list | tuple):
        return str(value[0])
    return str(value).split(",")[0].strip()


def _optional(value) -> int | None:
    """flush.* use Long.MAX_VALUE (or nothing) for 'never'."""
    if value in (None, ""):
        return None
    n = int(value)
    return None if n >= 2**62 else n
