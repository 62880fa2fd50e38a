"""The controller: validates cluster changes and commits them as metadata records.

Request handlers call these operations. Each either raises KafkaError with Apache Kafka's
error code and a clear message, changing nothing, or commits its records as one batch (so a
change lands whole). ``validate_only`` runs every check, including applying the records to a
scratch copy of the image, and writes nothing.

Single node: every partition's replicas, ISR and leader are this node, so a replication
factor above 1 is refused. As in Kafka, internal topic names such as ``__consumer_offsets``
may be created (the group coordinator does so); only ``__cluster_metadata`` is reserved.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from broker.config import DEFINITIONS, BrokerConfig, ConfigError, render
from broker.errors import ErrorCode, KafkaError
from broker.group.group_configs import GROUP_CONFIGS, check_group_name
from broker.group.group_configs import validate as validate_group_configs
from broker.metadata import records as mr
from broker.metadata.elections import ElectionType, TopicElections, elect
from broker.metadata.image import MetadataImage, PartitionImage, TopicImage
from broker.metadata.reassignments import OngoingReassignment, check_target
from broker.metadata.store import MetadataStore
from broker.metadata.topic_config import (
    TOPIC_CONFIGS,
    effective_topic_config,
    is_list,
    validate,
    validate_together,
)
from broker.quotas.alter import Alteration, Outcome
from broker.quotas.alter import plan as plan_client_quotas
from broker.security.acl.model import AclBinding, AclFilter
from broker.security.credentials import (
    MAX_ITERATIONS,
    MIN_ITERATIONS,
    MIN_SALT,
    Upsertion,
    from_salted_password,
)
from broker.security.credentials import MECHANISMS as SCRAM_MECHANISMS

log = logging.getLogger("broker.metadata")

LEGAL_TOPIC = re.compile(r"^[a-zA-Z0-9._-]+$")
MAX_TOPIC_LENGTH = 249
METADATA_TOPIC = "__cluster_metadata"
INTERNAL_TOPICS = frozenset({"__consumer_offsets", "__transaction_state"})
PRODUCER_ID_BLOCK = 1000
MAX_PARTITIONS = 10_000  # per topic: a guard against typos that would create 10^9 logs
OPERATIONS = ("SET", "DELETE", "APPEND", "SUBTRACT")

Op = tuple[str, str, str | None]  # (config name, SET|DELETE|APPEND|SUBTRACT, value)


def check_topic_name(name: str) -> None:
    """Kafka's topic name rules; KafkaError(INVALID_TOPIC_EXCEPTION) naming the problem."""
    if not name:
        raise KafkaError(ErrorCode.invalid_topic_exception, "topic name is empty")
    if name in (".", ".."):
        raise KafkaError(ErrorCode.invalid_topic_exception, f"topic name {name!r} is reserved")
    if len(name) > MAX_TOPIC_LENGTH:
        raise KafkaError(
            ErrorCode.invalid_topic_exception,
            f"topic name is {len(name)} characters long; the limit is {MAX_TOPIC_LENGTH}",
        )
    if not LEGAL_TOPIC.match(name):
        raise KafkaError(
            ErrorCode.invalid_topic_exception,
            f"topic name {name!r} may contain only ASCII letters, digits, '.', '_' and '-'",
        )


class Controller:
    def __init__(self, store: MetadataStore, config: BrokerConfig) -> None:
        self.store = store
        self.config = config
        # Ids below _pid_limit are reserved on disk; _next_pid is the next one to hand out.
        self._next_pid = self._pid_limit = store.image.next_producer_id
        self._load_broker_configs([], store.image)
        store.subscribe(self._load_broker_configs)  # first, so later listeners see new values

    @property
    def image(self) -> MetadataImage:
        return self.store.image

    @property
    def node_id(self) -> int:
        return self.store.node_id

    # --- topics -------------------------------------------------------------------------

    def create_topic(
        self,
        name: str,
        num_partitions: int = -1,
        replication_factor: int = -1,
        configs: dict[str, str | None] | None = None,
        *,
        assignments: dict[int, list[int]] | None = None,
        validate_only: bool = False,
    ) -> TopicImage:
        """Create a topic (-1 partitions / replication factor: the broker's defaults)."""
        check_topic_name(name)
        if name == METADATA_TOPIC:
            raise KafkaError(
                ErrorCode.invalid_request, f"creation of internal topic {name} is prohibited"
            )
        if name in self.image.topics_by_name:
            raise KafkaError(ErrorCode.topic_already_exists, f"topic {name} already exists")
        self._check_collision(name)
        if assignments:
            if num_partitions != -1 or replication_factor != -1:
                raise KafkaError(
                    ErrorCode.invalid_request,
                    "give either replica assignments or a partition count and replication "
                    "factor, not both",
                )
            if sorted(assignments) != list(range(len(assignments))):
                raise KafkaError(
                    ErrorCode.invalid_replica_assignment,
                    f"assignments cover partitions {sorted(assignments)}, not 0..n-1",
                )
            for replicas in assignments.values():
                self._check_assignment(replicas)
            num_partitions, replication_factor = len(assignments), 1
        if num_partitions == -1:
            num_partitions = self.config.get("num.partitions")
        if replication_factor == -1:
            replication_factor = self.config.get("default.replication.factor")
        self._check_partition_count(num_partitions)
        self._check_replication(replication_factor)
        overrides = self._clean_topic_configs(configs or {})
        topic_id = uuid.uuid4()  # version 4: random, never the zero UUID
        recs: list[mr.MetadataRecord] = [mr.TopicRecord(name, topic_id)]
        recs += [mr.ConfigRecord(mr.TOPIC_RESOURCE, name, k, v) for k, v in overrides.items()]
        recs += self._partition_records(topic_id, range(num_partitions))
        return self._commit(recs, validate_only).topics_by_name[name]

    def delete_topic(self, name_or_id: str | uuid.UUID) -> TopicImage:
        """Delete a topic by name or id; returns what it was."""
        if not self.config.get("delete.topic.enable"):
            raise KafkaError(
                ErrorCode.topic_deletion_disabled,
                "topic deletion is disabled on this broker (delete.topic.enable=false)",
            )
        if isinstance(name_or_id, uuid.UUID):
            topic = self.image.topics_by_id.get(name_or_id)
            if topic is None:
                raise KafkaError(ErrorCode.unknown_topic_id, f"no topic has id {name_or_id}")
        else:
            topic = self._topic(name_or_id)
        if topic.name in INTERNAL_TOPICS:
            # Deleting it would drop every group's committed offsets at once.
            raise KafkaError(
                ErrorCode.invalid_topic_exception,
                f"{topic.name} is an internal topic and cannot be deleted",
            )
        self._commit([mr.RemoveTopicRecord(topic.topic_id)], False)
        return topic

    def create_partitions(
        self,
        name: str,
        new_total: int,
        *,
        assignments: list[list[int]] | None = None,
        validate_only: bool = False,
    ) -> TopicImage:
        """Grow a topic to ``new_total`` partitions (partitions can never be removed)."""
        topic = self._topic(name)
        current = len(topic.partitions)
        if new_total == current:
            raise KafkaError(
                ErrorCode.invalid_partitions, f"topic {name} already has {current} partitions"
            )
        if new_total < current:
            raise KafkaError(
                ErrorCode.invalid_partitions,
                f"topic {name} has {current} partitions; they can only be increased, "
                f"not to {new_total}",
            )
        self._check_partition_count(new_total)
        if assignments is not None:
            if len(assignments) != new_total - current:
                raise KafkaError(
                    ErrorCode.invalid_replica_assignment,
                    f"{len(assignments)} assignments for {new_total - current} new partitions",
                )
            for replicas in assignments:
                self._check_assignment(replicas)
        recs = self._partition_records(topic.topic_id, range(current, new_total))
        return self._commit(recs, validate_only).topics_by_name[name]

    def alter_topic_configs(
        self, name: str, ops: list[Op], *, validate_only: bool = False
    ) -> dict[str, str]:
        """IncrementalAlterConfigs on a topic; returns the resulting overrides."""
        topic = self._topic(name)
        new = dict(topic.configs)
        for key, op, value in _unique(ops):
            if key not in TOPIC_CONFIGS:
                raise KafkaError(ErrorCode.invalid_config, f"unknown topic config {key!r}")
            if op in ("APPEND", "SUBTRACT"):
                if not is_list(key):
                    raise KafkaError(
                        ErrorCode.invalid_config,
                        f"{op} applies only to list configs, and {key} is not one",
                    )
                base = new.get(key)
                if base is None:  # append to what the topic has now, not to nothing
                    base = effective_topic_config({}, self.config)[key].value
                value = _list_op(op, base, value)
            if op == "DELETE":
                new.pop(key, None)
            else:
                new[key] = _validated(key, value)
        validate_together(new, self.config)
        self._commit(self._topic_config_records(name, topic.configs, new), validate_only)
        return new

    def replace_topic_configs(
        self, name: str, configs: dict[str, str | None], *, validate_only: bool = False
    ) -> dict[str, str]:
        """Legacy AlterConfigs: the given set replaces every override of the topic."""
        topic = self._topic(name)
        new = {k: validate(k, v) for k, v in configs.items()}
        clean = {k: v for k, v in new.items() if v is not None}
        validate_together(clean, self.config)
        self._commit(self._topic_config_records(name, topic.configs, clean), validate_only)
        return clean

    # --- leaders and replicas of existing partitions -----------------------------------

    @property
    def brokers(self) -> frozenset[int]:
        """The registered brokers, all alive: on one node, this one."""
        return frozenset((self.node_id,))

    def elect_leaders(
        self, wanted: list[tuple[str, list[int]]] | None, election: ElectionType
    ) -> list[TopicElections]:
        """ElectLeaders with Kafka's answers: per partition None (elected) or the error.

        ``wanted`` None means every partition of every topic; then, as in Kafka, partitions
        whose election was not needed are left out (their topics are still listed). The
        changes land in one batch.
        """
        every = wanted is None
        if wanted is None:
            wanted = [(t.name, sorted(t.partitions)) for t in self.image.topics_by_name.values()]
        staged: MetadataImage | None = None  # the image with this request's changes so far
        recs: list[mr.MetadataRecord] = []
        out = []
        for name, indexes in wanted:
            results: list[tuple[int, KafkaError | None]] = []
            for index in indexes:
                try:
                    rec = self._election(staged or self.image, name, index, election)
                except KafkaError as e:
                    if not (every and e.code == ErrorCode.election_not_needed):
                        results.append((index, e))
                    continue
                staged = staged or self.image.copy()
                staged.apply(rec)  # a partition named twice is elected once
                recs.append(rec)
                results.append((index, None))
            out.append(TopicElections(name, results))
        if recs:
            self._commit(recs, False)
        return out

    def _election(
        self, image: MetadataImage, name: str, index: int, election: ElectionType
    ) -> mr.PartitionChangeRecord:
        topic = _topic_in(image, name)
        change = elect(_partition_of(topic, index), election, self.brokers)
        return mr.PartitionChangeRecord(topic.topic_id, index, leader=change.leader, isr=change.isr)

    def alter_reassignment(self, name: str, index: int, replicas: list[int] | None) -> None:
        """Move partition ``name``-``index`` to ``replicas``, or cancel its reassignment (None).

        A target equal to the current replicas completes at once; on one node no other
        target passes the checks, and none is ever in progress to cancel.
        """
        partition = _partition_of(self._topic(name), index)
        if replicas is None:
            raise KafkaError(
                ErrorCode.no_reassignment_in_progress,
                f"no reassignment of {name}-{index} is in progress",
            )
        check_target(replicas, self.brokers)
        if tuple(replicas) != partition.replicas:
            # unreachable while one broker is registered: the guard for when more are
            raise KafkaError(
                ErrorCode.invalid_replica_assignment,
                "moving replicas between brokers needs replication, which is not built yet",
            )

    def reassignments_in_progress(self) -> list[OngoingReassignment]:
        """Every reassignment in progress: none, as alter_reassignment never starts one."""
        return []

    # --- dynamic broker configs ---------------------------------------------------------

    def alter_broker_configs(
        self, resource: str, ops: list[Op], *, validate_only: bool = False
    ) -> dict[str, str]:
        """IncrementalAlterConfigs on broker ``resource`` ("" = every broker's default)."""
        self._check_broker(resource)
        new = dict(self.image.broker_configs.get(resource, {}))
        for key, op, value in _unique(ops):
            definition = DEFINITIONS.get(key)
            if definition is None:
                raise KafkaError(ErrorCode.invalid_config, f"unknown broker config {key!r}")
            if op in ("APPEND", "SUBTRACT"):
                if definition.type != "list":
                    raise KafkaError(
                        ErrorCode.invalid_config,
                        f"{op} applies only to list configs, and {key} is not one",
                    )
                base = new.get(key)
                if base is None:
                    base = render(self.config.get(key)) or ""
                value = _list_op(op, base, value)
            if op == "DELETE":
                new.pop(key, None)
            else:
                new[key] = value or ""  # _unique refused a null SET
        return self._commit_broker_configs(resource, new, validate_only)

    def replace_broker_configs(
        self, resource: str, configs: dict[str, str | None], *, validate_only: bool = False
    ) -> dict[str, str]:
        """Legacy AlterConfigs on a broker: the given set replaces its dynamic configs."""
        self._check_broker(resource)
        new = {k: v for k, v in configs.items() if v is not None}
        return self._commit_broker_configs(resource, new, validate_only)

    # --- consumer group configs (GROUP resource, KIP-848) ------------------------------

    def alter_group_configs(
        self, group: str, ops: list[Op], *, validate_only: bool = False
    ) -> dict[str, str]:
        """IncrementalAlterConfigs on a group (any id, existing or not); returns its new
        overrides. SET and DELETE only: no group config is a list."""
        check_group_name(group)
        new = dict(self.image.group_configs.get(group, {}))
        for key, op, value in _unique(ops):
            if op in ("APPEND", "SUBTRACT"):
                if key not in GROUP_CONFIGS:
                    raise KafkaError(ErrorCode.invalid_config, f"unknown group config {key!r}")
                raise KafkaError(
                    ErrorCode.invalid_config,
                    f"{op} applies only to list configs, and {key} is not one",
                )
            if op == "DELETE":
                new.pop(key, None)
            else:
                new[key] = value or ""  # _unique refused a null SET
        return self._commit_group_configs(group, new, validate_only)

    def replace_group_configs(
        self, group: str, configs: dict[str, str | None], *, validate_only: bool = False
    ) -> dict[str, str]:
        """Legacy AlterConfigs on a group: the given set replaces its overrides."""
        check_group_name(group)
        nulls = sorted(k for k, v in configs.items() if v is None)
        if nulls:
            raise KafkaError(
                ErrorCode.invalid_request, f"a null value is not supported: {', '.join(nulls)}"
            )
        return self._commit_group_configs(
            group, {k: v for k, v in configs.items() if v is not None}, validate_only
        )

    def _commit_group_configs(
        self, group: str, new: dict[str, str], validate_only: bool
    ) -> dict[str, str]:
        clean = validate_group_configs(new, self.config)
        old = self.image.group_configs.get(group, {})
        recs: list[mr.MetadataRecord] = [
            mr.ConfigRecord(mr.GROUP_RESOURCE, group, k, clean.get(k))
            for k in sorted(set(old) | set(clean))
            if old.get(k) != clean.get(k)
        ]
        self._commit(recs, validate_only)
        return clean

    # --- producer ids -------------------------------------------------------------------

    def allocate_producer_id(self) -> int:
        """A producer id never handed out before, even across restarts.

        Ids are reserved on disk in blocks of PRODUCER_ID_BLOCK; a restart skips the rest of
        the block in use, as Kafka does.
        """
        if self._next_pid >= self._pid_limit:
            start = max(self._pid_limit, self.image.next_producer_id)
            self._commit([mr.ProducerIdsRecord(self.node_id, start + PRODUCER_ID_BLOCK)], False)
            self._next_pid, self._pid_limit = start, start + PRODUCER_ID_BLOCK
        pid = self._next_pid
        self._next_pid += 1
        return pid

    # --- helpers ------------------------------------------------------------------------

    def _commit(self, recs: list[mr.MetadataRecord], validate_only: bool) -> MetadataImage:
        """Commit (or only stage) the records; the resulting image."""
        try:
            if validate_only:
                return self.store.stage(recs)
            self.store.commit(recs)
        except OSError as e:
            log.error("metadata write failed: %s", e)
            raise KafkaError(
                ErrorCode.kafka_storage_error, f"cannot write the metadata log: {e}"
            ) from e
        return self.store.image

    def _topic(self, name: str) -> TopicImage:
        return _topic_in(self.image, name)

    def _check_collision(self, name: str) -> None:
        # Kafka's metrics replace '.' with '_', so such pairs of names cannot coexist.
        if "." not in name and "_" not in name:
            return
        key = name.replace(".", "_")
        for other in self.image.topics_by_name:
            if other.replace(".", "_") == key:
                raise KafkaError(
                    ErrorCode.invalid_topic_exception,
                    f"topic {name!r} collides with existing topic {other!r} "
                    "('.' and '_' are the same in metric names)",
                )

    def _check_partition_count(self, n: int) -> None:
        if n < 1:
            raise KafkaError(
                ErrorCode.invalid_partitions,
                f"number of partitions must be at least 1 (or -1 for the default), not {n}",
            )
        if n > MAX_PARTITIONS:
            raise KafkaError(
                ErrorCode.invalid_partitions,
                f"{n} partitions is more than this broker allows per topic ({MAX_PARTITIONS})",
            )

    def _check_replication(self, rf: int) -> None:
        if rf < 1:
            raise KafkaError(
                ErrorCode.invalid_replication_factor,
                f"replication factor must be at least 1 (or -1 for the default), not {rf}",
            )
        if rf > 1:
            raise KafkaError(
                ErrorCode.invalid_replication_factor,
                f"replication factor {rf} is larger than the 1 available broker",
            )

    def _check_assignment(self, replicas: list[int]) -> None:
        if list(replicas) != [self.node_id]:
            raise KafkaError(
                ErrorCode.invalid_replica_assignment,
                f"replicas {list(replicas)}: only broker {self.node_id} exists",
            )

    def _partition_records(self, topic_id: uuid.UUID, indexes: range) -> list[mr.MetadataRecord]:
        node = self.node_id
        return [mr.PartitionRecord(topic_id, i, (node,), (node,), node) for i in indexes]

    def _clean_topic_configs(self, configs: dict[str, str | None]) -> dict[str, str]:
        clean = {}
        for key, value in sorted(configs.items()):
            if value is None:
                validate(key, None)  # an unknown name is the first thing to report
                raise KafkaError(ErrorCode.invalid_config, f"{key}: a null value is not supported")
            clean[key] = _validated(key, value)
        validate_together(clean, self.config)
        return clean

    @staticmethod
    def _topic_config_records(
        name: str, old: dict[str, str], new: dict[str, str]
    ) -> list[mr.MetadataRecord]:
        return [
            mr.ConfigRecord(mr.TOPIC_RESOURCE, name, k, new.get(k))
            for k in sorted(set(old) | set(new))
            if old.get(k) != new.get(k)
        ]

    def _check_broker(self, resource: str) -> None:
        if resource not in ("", str(self.node_id)):
            raise KafkaError(
                ErrorCode.invalid_request,
                f"this is broker {self.node_id}: expected resource {self.node_id} or '' "
                f"(the cluster-wide default), not {resource!r}",
            )

    def _commit_broker_configs(
        self, resource: str, new: dict[str, str], validate_only: bool
    ) -> dict[str, str]:
        """Validate the new dynamic set of ``resource`` as a whole, then commit the changes."""
        probe = BrokerConfig(
            static=self.config.static,
            static_origin=self.config.static_origin,
            dynamic_default=dict(self.config.dynamic_default),
            dynamic=dict(self.config.dynamic),
        )
        layer = probe.dynamic_default if resource == "" else probe.dynamic
        layer.clear()
        normalized = {}
        try:
            for key, value in sorted(new.items()):
                probe.set_dynamic(key, value, cluster_default=resource == "")
                normalized[key] = render(layer[key]) or ""
            probe.check()
        except ConfigError as e:
            raise KafkaError(ErrorCode.invalid_config, str(e)) from None
        old = self.image.broker_configs.get(resource, {})
        recs: list[mr.MetadataRecord] = [
            mr.ConfigRecord(mr.BROKER_RESOURCE, resource, k, normalized.get(k))
            for k in sorted(set(old) | set(normalized))
            if old.get(k) != normalized.get(k)
        ]
        self._commit(recs, validate_only)
        return normalized

    def _load_broker_configs(self, _records: list[Any], image: MetadataImage) -> None:
        """Make the config's dynamic layers match the image (at start and after commits)."""
        layers: dict[str, dict[str, Any]] = {"": {}, str(self.node_id): {}}
        for resource, layer in layers.items():
            for key, text in image.broker_configs.get(resource, {}).items():
                definition = DEFINITIONS.get(key)
                try:
                    if definition is None or not definition.dynamic:
                        raise ConfigError(f"{key} is not a dynamic broker config")
                    layer[key] = definition.parse(text)
                except ConfigError as e:  # written by another version: skip, do not fail
                    log.warning("ignoring stored dynamic broker config %s=%r: %s", key, text, e)
        self.config.dynamic_default = layers[""]
        self.config.dynamic = layers[str(self.node_id)]

    # --- ACLs ---------------------------------------------------------------------------

    def create_acls(self, bindings: list[AclBinding]) -> list[KafkaError | None]:
        """Store the valid bindings (one batch); per binding, its error or None.

        As in Kafka, a binding that exists already (or twice in the request) succeeds and is
        stored once.
        """
        existing = {AclBinding.of_record(rec) for rec in self.image.acls.values()}
        results: list[KafkaError | None] = []
        recs: list[mr.MetadataRecord] = []
        for binding in bindings:
            try:
                binding.validate_new()
            except KafkaError as e:
                results.append(e)
                continue
            if binding not in existing:
                existing.add(binding)
                recs.append(binding.record(uuid.uuid4()))
            results.append(None)
        if recs:
            self._commit(recs, False)
        return results

    def delete_acls(self, filters: list[AclFilter]) -> list[KafkaError | list[AclBinding]]:
        """Delete every binding any filter matches (one batch); per filter, what it matched."""
        results: list[KafkaError | list[AclBinding]] = []
        doomed: set[uuid.UUID] = set()
        for acl_filter in filters:
            try:
                acl_filter.validate()
            except KafkaError as e:
                results.append(e)
                continue
            matched = []
            for acl_id, rec in self.image.acls.items():
                binding = AclBinding.of_record(rec)
                if acl_filter.matches(binding):
                    doomed.add(acl_id)
                    matched.append(binding)
            results.append(matched)
        if doomed:
            self._commit([mr.RemoveAccessControlEntryRecord(i) for i in sorted(doomed)], False)
        return results

    # --- SCRAM credentials --------------------------------------------------------------

    def alter_scram_credentials(
        self, deletions: list[tuple[str, int]], upsertions: list[Upsertion]
    ) -> list[tuple[str, KafkaError | None]]:
        """AlterUserScramCredentials with Kafka's rules: one result per user, a user named
        twice in a request is DUPLICATE_RESOURCE; the valid changes are committed together."""
        errors: dict[str, KafkaError] = {}
        deleting: dict[str, int] = {}
        upserting: dict[str, Upsertion] = {}
        for name, mechanism in deletions:
            if name in errors:
                continue
            if deleting.pop(name, None) is not None:
                errors[name] = _twice()
                continue
            error = _check_scram_name(name, mechanism)
            if error is None and mechanism not in self.image.scram_credentials.get(name, {}):
                error = KafkaError(
                    ErrorCode.resource_not_found,
                    "Attempt to delete a user credential that does not exist",
                )
            if error is None:
                deleting[name] = mechanism
            else:
                errors[name] = error
        for u in upsertions:
            if u.name in errors:
                continue
            if deleting.pop(u.name, None) is not None or upserting.pop(u.name, None) is not None:
                errors[u.name] = _twice()
                continue
            error = _check_scram_upsertion(u)
            if error is None:
                upserting[u.name] = u
            else:
                errors[u.name] = error
        recs: list[mr.MetadataRecord] = [
            mr.RemoveUserScramCredentialRecord(name, mechanism)
            for name, mechanism in deleting.items()
        ]
        recs += [
            from_salted_password(u.name, u.mechanism, u.salt, u.salted_password, u.iterations)
            for u in upserting.values()
        ]
        if recs:
            self._commit(recs, False)
        results: list[tuple[str, KafkaError | None]] = [(n, None) for n in deleting]
        results += [(n, None) for n in upserting]
        return results + list(errors.items())

    def put_scram_credential(self, record: mr.UserScramCredentialRecord) -> None:
        """Store a credential made on this node (the broker's --add-scram)."""
        self._commit([record], False)

    # --- client quotas ------------------------------------------------------------------

    def alter_client_quotas(
        self,
        alterations: list[Alteration],
        resolvable: Callable[[str], bool],
        *,
        validate_only: bool = False,
    ) -> list[Outcome]:
        """AlterClientQuotas with Kafka's rules (broker/quotas/alter.py): one outcome per
        entity; the valid entities' changes are committed together."""
        recs, outcomes = plan_client_quotas(self.image.client_quotas, alterations, resolvable)
        if recs:
            self._commit(list(recs), validate_only)
        return outcomes


def _topic_in(image: MetadataImage, name: str) -> TopicImage:
    topic = image.topics_by_name.get(name)
    if topic is None:
        raise KafkaError(ErrorCode.unknown_topic_or_partition, f"topic {name} does not exist")
    return topic


def _partition_of(topic: TopicImage, index: int) -> PartitionImage:
    partition = topic.partitions.get(index)
    if partition is None:
        raise KafkaError(
            ErrorCode.unknown_topic_or_partition, f"partition {topic.name}-{index} does not exist"
        )
    return partition


def _unique(ops: list[Op]) -> list[Op]:
    names = [key for key, _, _ in ops]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise KafkaError(ErrorCode.invalid_request, f"configs changed twice: {', '.join(dupes)}")
    for key, op, value in ops:
        if op not in OPERATIONS:
            raise KafkaError(ErrorCode.invalid_request, f"unknown config operation {op!r}")
        if op != "DELETE" and value is None:
            raise KafkaError(ErrorCode.invalid_request, f"{key}: {op} needs a value, not null")
    return ops


def _validated(key: str, value: str | None) -> str:
    """validate() for a value known not to be null."""
    return validate(key, value) or ""


def _list_op(op: str, base: str | None, value: str | None) -> str:
    current = [x.strip() for x in (base or "").split(",") if x.strip()]
    items = [x.strip() for x in (value or "").split(",") if x.strip()]
    if op == "APPEND":
        current += [x for x in items if x not in current]
    else:
        current = [x for x in current if x not in items]
    return ",".join(current)


def _twice() -> KafkaError:
    return KafkaError(
        ErrorCode.duplicate_resource,
        "A user credential cannot be altered twice in the same request",
    )


def _check_scram_name(name: str, mechanism: int) -> KafkaError | None:
    if not name:
        return KafkaError(ErrorCode.unacceptable_credential, "Username must not be empty")
    if mechanism not in SCRAM_MECHANISMS:
        return KafkaError(ErrorCode.unsupported_sasl_mechanism, "Unknown SCRAM mechanism")
    return None


def _check_scram_upsertion(u: Upsertion) -> KafkaError | None:
    error = _check_scram_name(u.name, u.mechanism)
    if error is not None:
        return error
    if u.iterations < MIN_ITERATIONS:
        return KafkaError(ErrorCode.unacceptable_credential, "Too few iterations")
    if u.iterations > MAX_ITERATIONS:
        return KafkaError(ErrorCode.unacceptable_credential, "Too many iterations")
    if len(u.salt) < MIN_SALT:
        # not a Kafka check: the SCRAM exchange (scramp) could never use a shorter salt
        return KafkaError(
            ErrorCode.unacceptable_credential, f"The salt must be at least {MIN_SALT} bytes"
        )
    return None
