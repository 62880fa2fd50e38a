"""The group coordinator of the classic protocol: joins, syncs, heartbeats, leaves, offsets.

The broker is protocol-agnostic: it picks a protocol every member supports, hands the
leader all members' metadata, and returns each member the assignment bytes the leader sent.
JoinGroup and SyncGroup are long polls: the coordinator stores a future per member and
resolves it when the rebalance gets there. Timers (session expiry, the join phase, the
pending-sync deadline, the initial rebalance delay) run on the same loop as the handlers.

The rules follow Apache Kafka's GroupCoordinator, including its answers on fencing:
ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS and FENCED_INSTANCE_ID. Group
metadata is written to the offsets topic when an assignment is made (and when the group
empties), so a restarted broker resumes Stable groups and their committed offsets.

Offsets committed in a transaction (TxnOffsetCommit) stay pending per producer id until the
transaction's marker reaches the group's offsets partition (``complete_txn``): a commit
makes them the committed offsets, an abort drops them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field, replace

from broker.errors import ErrorCode, KafkaError
from broker.group import log_format as fmt
from broker.group.consumer.coordinator import (
    ConsumerConfig,
    ConsumerGroupCoordinator,
    GroupConfigs,
)
from broker.group.consumer.model import ConsumerGroup, ConsumerGroupState
from broker.group.group import Group
from broker.group.member import JoinResult, Member, SyncResult
from broker.group.offsets import OffsetAndMetadata, expired, newer
from broker.group.offsets_topic import OffsetsLog
from broker.group.state import GroupState
from broker.group.subscription import CONSUMER_PROTOCOL_TYPE
from broker.group.timers import Scheduler

log = logging.getLogger("broker.group")

EMPTY, PREPARING, COMPLETING, STABLE, DEAD = (
    GroupState.EMPTY,
    GroupState.PREPARING_REBALANCE,
    GroupState.COMPLETING_REBALANCE,
    GroupState.STABLE,
    GroupState.DEAD,
)
TopicPartition = tuple[str, int]


@dataclass(frozen=True, slots=True)
class CoordinatorConfig:
    initial_rebalance_delay_ms: int = 100
    min_session_timeout_ms: int = 6000
    max_session_timeout_ms: int = 1_800_000
    offsets_retention_ms: int = 7 * 24 * 3600 * 1000
    retention_check_interval_ms: int = 600_000
    offset_metadata_max_bytes: int = 4096  # Kafka's offset.metadata.max.bytes default
    new_member_join_timeout_ms: int = 300_000  # Kafka's; a new member cannot heartbeat yet
    consumer: ConsumerConfig = field(default_factory=ConsumerConfig)  # KIP-848 groups

    @classmethod
    def from_broker_config(cls, config) -> CoordinatorConfig:
        return cls(
            consumer=ConsumerConfig(
                session_timeout_ms=int(config.get("group.consumer.session.timeout.ms")),
                heartbeat_interval_ms=int(config.get("group.consumer.heartbeat.interval.ms")),
                assignors=tuple(config.get("group.consumer.assignors")),
                max_size=int(config.get("group.consumer.max.size")),
            ),
            initial_rebalance_delay_ms=int(config.get("group.initial.rebalance.delay.ms")),
            min_session_timeout_ms=int(config.get("group.min.session.timeout.ms")),
            max_session_timeout_ms=int(config.get("group.max.session.timeout.ms")),
            offsets_retention_ms=int(config.get("offsets.retention.minutes")) * 60_000,
            retention_check_interval_ms=int(config.get("offsets.retention.check.interval.ms")),
        )


@dataclass(frozen=True, slots=True)
class JoinRequest:
    group_id: str
    member_id: str
    group_instance_id: str | None
    client_id: str
    client_host: str
    session_timeout_ms: int
    rebalance_timeout_ms: int
    protocol_type: str
    protocols: list[tuple[str, bytes]]
    require_known_member_id: bool = True  # JoinGroup v4+ (KIP-394)
    supports_skip_assignment: bool = False  # JoinGroup v9+ (KIP-814)


class GroupCoordinator:
    def __init__(
        self,
        config: CoordinatorConfig,
        scheduler: Scheduler,
        store: OffsetsLog,
        group_configs: GroupConfigs = lambda _group: None,
    ):
        self.config = config
        self.scheduler = scheduler
        self.store = store
        self.groups: dict[str, Group] = {}
        # producer id -> group -> offsets of its transaction, until the marker decides them
        self.pending_txn: dict[int, dict[str, dict[TopicPartition, OffsetAndMetadata]]] = {}
        self._retention_timer = None
        # KIP-848 groups: their own coordinator, sharing the group ids, store and offsets code
        self.consumer = ConsumerGroupCoordinator(
            config.consumer, scheduler, store, self, group_configs
        )

    # --- lifecycle --------------------------------------------------------------------------

    def load(self) -> None:
        """Rebuild groups and committed offsets from the offsets topic (before serving)."""
        from broker.group.loader import load_all, load_pending_txn_offsets

        self.groups, consumer_groups = load_all(self.store.replay())
        self.consumer.loaded(consumer_groups)
        self.pending_txn = load_pending_txn_offsets(self.store.open_transactions())
        for group in self.groups.values():
            for member in group.members.values():
                self._schedule_session(group, member)
        n_offsets = sum(len(g.offsets) for g in self._all_groups())
        n_groups = len(self.groups) + len(consumer_groups)
        log.info("loaded %d group(s) with %d committed offset(s)", n_groups, n_offsets)

    def start(self) -> None:
        self._retention_timer = self.scheduler.call_later(
            self.config.retention_check_interval_ms, self._retention_tick
        )

    def stop(self) -> None:
        if self._retention_timer is not None:
            self._retention_timer.cancel()
        self.consumer.stop()
        for group in self.groups.values():
            for timer in (group.join_timer, group.sync_timer, *group.pending_members.values()):
                if timer is not None:
                    timer.cancel()
            for member in group.members.values():
                if member.heartbeat_timer is not None:
                    member.heartbeat_timer.cancel()

    # --- JoinGroup --------------------------------------------------------------------------

    def join(self, req: JoinRequest) -> asyncio.Future[JoinResult]:
        fut: asyncio.Future[JoinResult] = self.scheduler.create_future()
        try:
            self._join(req, fut)
        except KafkaError as e:
            if not fut.done():
                fut.set_result(JoinResult(e.code, member_id=req.member_id))
        return fut

    def _join(self, req: JoinRequest, fut: asyncio.Future[JoinResult]) -> None:
        if not req.group_id:
            raise KafkaError(ErrorCode.invalid_group_id, "the group id is empty")
        cfg = self.config
        if not cfg.min_session_timeout_ms <= req.session_timeout_ms <= cfg.max_session_timeout_ms:
            raise KafkaError(
                ErrorCode.invalid_session_timeout,
                f"session timeout {req.session_timeout_ms} ms is outside "
                f"[{cfg.min_session_timeout_ms}, {cfg.max_session_timeout_ms}]",
            )
        group = self.groups.get(req.group_id)
        if group is None and req.group_id in self.consumer.groups:
            self._join_consumer_group(req.group_id)
            group = self.groups.get(req.group_id)
        if req.member_id == "":
            if group is None:
                group = self.groups[req.group_id] = Group(
                    req.group_id, state_timestamp_ms=self.scheduler.now_ms()
                )
            self._join_new_member(group, req, fut)
        else:
            if group is None:
                raise KafkaError(ErrorCode.unknown_member_id, f"group {req.group_id} is unknown")
            self._join_known_member(group, req, fut)
        if group.is_(PREPARING):
            self._try_complete_join(group)

    def _join_consumer_group(self, group_id: str) -> None:
        """A classic member asks to join a consumer group: refused unless the group is empty,
        which Kafka converts to a classic group (keeping its offsets)."""
        group = self.consumer.groups[group_id]
        if group.members:
            # Kafka would take a classic member into the consumer group (online migration),
            # which is not served here
            raise KafkaError(
                ErrorCode.inconsistent_group_protocol,
                f"group {group_id} is a consumer group with members",
            )
        try:
            self.store.append(group_id, self.consumer.deletion_entries(group))
        except KafkaError as e:
            raise KafkaError(ErrorCode.coordinator_not_available, e.message) from e
        self.consumer.forget(group_id)
        self.groups[group_id] = Group(
            group_id, offsets=group.offsets, state_timestamp_ms=self.scheduler.now_ms()
        )
        log.info("converted the empty consumer group %s to a classic group", group_id)

    def _join_new_member(self, group: Group, req: JoinRequest, fut: asyncio.Future) -> None:
        if group.is_(DEAD):
            raise KafkaError(ErrorCode.coordinator_not_available, "the group is being deleted")
        if not group.supports_protocols(req.protocol_type, [n for n, _ in req.protocols]):
            raise KafkaError(ErrorCode.inconsistent_group_protocol)
        prefix = req.group_instance_id if req.group_instance_id is not None else req.client_id
        member_id = f"{prefix}-{uuid.uuid4()}"
        if req.group_instance_id is not None:
            old_id = group.static_members.get(req.group_instance_id)
            if old_id is not None:
                self._rejoin_static_member(group, old_id, member_id, req, fut)
            else:
                self._add_member_and_rebalance(group, member_id, req, fut)
        elif req.require_known_member_id:
            # KIP-394: hand out the id first, so a client that times out and retries does
            # not leave an orphan member behind holding the rebalance up.
            group.pending_members[member_id] = self.scheduler.call_later(
                req.session_timeout_ms, lambda: self._expire_pending_member(group, member_id)
            )
            fut.set_result(JoinResult(ErrorCode.member_id_required, member_id=member_id))
        else:
            self._add_member_and_rebalance(group, member_id, req, fut)

    def _join_known_member(self, group: Group, req: JoinRequest, fut: asyncio.Future) -> None:
        if group.is_(DEAD):
            raise KafkaError(ErrorCode.coordinator_not_available, "the group is being deleted")
        if not group.supports_protocols(req.protocol_type, [n for n, _ in req.protocols]):
            raise KafkaError(ErrorCode.inconsistent_group_protocol)
        timer = group.pending_members.pop(req.member_id, None)
        if timer is not None:
            timer.cancel()
            self._add_member_and_rebalance(group, req.member_id, req, fut)
            return
        member = self._validate_member(group, req.member_id, req.group_instance_id)
        if group.is_(PREPARING):
            self._update_member_and_rebalance(group, member, req, fut, "member rejoined")
        elif group.is_(COMPLETING):
            if member.matches(req.protocols):
                # It lost the JoinGroup response: answer it again for this generation.
                self._schedule_session(group, member)
                fut.set_result(self._join_result(group, member, group.is_leader(member.member_id)))
            else:
                self._update_member_and_rebalance(group, member, req, fut, "metadata changed")
        elif group.is_(STABLE):
            if group.is_leader(member.member_id) or not member.matches(req.protocols):
                # The leader rejoins when it sees a reason to reassign (e.g. new partitions).
                self._update_member_and_rebalance(
                    group, member, req, fut, "leader rejoined or metadata changed"
                )
            else:
                self._schedule_session(group, member)
                fut.set_result(self._join_result(group, member, False))
        else:
            raise KafkaError(ErrorCode.unknown_member_id)

    def _rejoin_static_member(
        self, group: Group, old_id: str, new_id: str, req: JoinRequest, fut: asyncio.Future
    ) -> None:
        """A static member restarted: the new id replaces the old one, fencing the old."""
        old = group.members[old_id]
        old.complete_join(JoinResult(ErrorCode.fenced_instance_id, member_id=old_id))
        old.complete_sync(SyncResult(ErrorCode.fenced_instance_id))
        member = group.replace_static_member(req.group_instance_id, old_id, new_id)  # type: ignore[arg-type]
        previous_protocols = member.protocols
        self._update_member(member, req, fut)
        self._schedule_session(group, member)
        if group.is_(STABLE):
            candidates = group.candidate_protocols()
            if group.protocol_name in candidates and group.select_protocol() == group.protocol_name:
                try:
                    self._store_group(group)
                except KafkaError as e:
                    # Undo, so the old instance's id stays valid and nothing is half-done.
                    group.replace_static_member(req.group_instance_id, new_id, old_id)  # type: ignore[arg-type]
                    member.protocols = previous_protocols
                    member.complete_join(JoinResult(e.code, member_id=""))
                    return
                leader = group.is_leader(new_id) and req.supports_skip_assignment
                result = self._join_result(group, member, leader)
                result.skip_assignment = leader
                member.complete_join(result)
                log.info(
                    "static member %s of group %s rejoined as %s without a rebalance",
                    req.group_instance_id,
                    group.group_id,
                    new_id,
                )
            else:
                self._prepare_rebalance(group, "static member rejoined with another protocol")
        elif group.is_(COMPLETING):
            # The leader may already be assigning to the old id: start over.
            self._prepare_rebalance(group, "static member rejoined during the sync phase")
        # PreparingRebalance: the member now waits for the join like everyone else.

    def _add_member_and_rebalance(
        self, group: Group, member_id: str, req: JoinRequest, fut: asyncio.Future
    ) -> None:
        member = Member(
            member_id=member_id,
            group_instance_id=req.group_instance_id,
            client_id=req.client_id,
            client_host=req.client_host,
            rebalance_timeout_ms=req.rebalance_timeout_ms,
            session_timeout_ms=req.session_timeout_ms,
            protocol_type=req.protocol_type,
            protocols=list(req.protocols),
            is_new=True,
        )
        member.join_future = fut
        if group.is_(PREPARING) and group.generation_id == 0:
            group.new_member_added = True
        group.add(member)
        self._schedule_session(group, member)
        self._maybe_prepare_rebalance(group, f"member {member_id} joined")

    def _update_member(self, member: Member, req: JoinRequest, fut: asyncio.Future) -> None:
        member.protocols = list(req.protocols)
        member.rebalance_timeout_ms = req.rebalance_timeout_ms
        member.session_timeout_ms = req.session_timeout_ms
        member.client_id, member.client_host = req.client_id, req.client_host
        # A second JoinGroup replaces the first (whose client gave up on it).
        member.complete_join(JoinResult(ErrorCode.rebalance_in_progress, member.member_id))
        member.join_future = fut

    def _update_member_and_rebalance(
        self, group: Group, member: Member, req: JoinRequest, fut: asyncio.Future, reason: str
    ) -> None:
        self._update_member(member, req, fut)
        self._schedule_session(group, member)
        self._maybe_prepare_rebalance(group, f"{reason} ({member.member_id})")

    def _join_result(self, group: Group, member: Member, with_members: bool) -> JoinResult:
        return JoinResult(
            error=ErrorCode.none,
            member_id=member.member_id,
            generation_id=group.generation_id,
            protocol_type=group.protocol_type,
            protocol_name=group.protocol_name,
            leader_id=group.leader_id or "",
            members=group.leader_view() if with_members else [],
        )

    # --- the join phase ---------------------------------------------------------------------

    def _maybe_prepare_rebalance(self, group: Group, reason: str) -> None:
        if group.is_(STABLE, COMPLETING, EMPTY):
            self._prepare_rebalance(group, reason)

    def _prepare_rebalance(self, group: Group, reason: str) -> None:
        if group.is_(COMPLETING):
            self._reset_assignments(group, ErrorCode.rebalance_in_progress)
        self._cancel(group, "sync_timer")
        self._cancel(group, "join_timer")
        was_empty = group.is_(EMPTY)
        group.transition(PREPARING, self.scheduler.now_ms())
        log.info(
            "group %s rebalancing from generation %d: %s",
            group.group_id,
            group.generation_id,
            reason,
        )
        if was_empty:
            # Wait for more members before the first generation (extended, up to the
            # rebalance timeout, while members keep arriving), as Kafka does.
            delay = self.config.initial_rebalance_delay_ms
            remaining = max(group.rebalance_timeout_ms - delay, 0)
            group.in_initial_delay = True
            group.new_member_added = False
            group.join_timer = self.scheduler.call_later(
                delay, lambda: self._initial_delay_over(group, remaining)
            )
        else:
            group.in_initial_delay = False
            group.join_timer = self.scheduler.call_later(
                group.rebalance_timeout_ms, lambda: self._complete_join(group)
            )
            self._try_complete_join(group)  # e.g. the last member left: nobody to wait for

    def _initial_delay_over(self, group: Group, remaining_ms: int) -> None:
        group.join_timer = None
        if not group.is_(PREPARING):
            return
        if group.new_member_added and remaining_ms > 0:
            group.new_member_added = False
            delay = min(self.config.initial_rebalance_delay_ms, remaining_ms)
            rest = max(remaining_ms - delay, 0)
            group.join_timer = self.scheduler.call_later(
                delay, lambda: self._initial_delay_over(group, rest)
            )
            return
        group.in_initial_delay = False
        self._complete_join(group)

    def _try_complete_join(self, group: Group) -> None:
        if group.is_(PREPARING) and not group.in_initial_delay and group.has_all_members_joined():
            self._complete_join(group)

    def _complete_join(self, group: Group) -> None:
        self._cancel(group, "join_timer")
        group.in_initial_delay = False
        if not group.is_(PREPARING):
            return
        for member in group.not_yet_rejoined():
            log.info("group %s: member %s did not rejoin in time", group.group_id, member.member_id)
            self._drop_member(group, member)
        now = self.scheduler.now_ms()
        group.generation_id += 1
        group.pending_sync.clear()
        if not group.members:
            group.protocol_name = None
            group.subscribed = None
            group.transition(EMPTY, now)
            log.info("group %s is empty at generation %d", group.group_id, group.generation_id)
            try:
                self._store_group(group)
            except KafkaError as e:
                log.error("could not store empty group %s: %s", group.group_id, e.message)
            return
        group.protocol_name = group.select_protocol()
        group.update_subscriptions()
        group.transition(COMPLETING, now)
        log.info(
            "group %s generation %d: %d member(s), protocol %s, leader %s",
            group.group_id,
            group.generation_id,
            len(group.members),
            group.protocol_name,
            group.leader_id,
        )
        for member in list(group.members.values()):
            result = self._join_result(group, member, group.is_leader(member.member_id))
            member.complete_join(result)
            member.is_new = False
            group.pending_sync.add(member.member_id)
            self._schedule_session(group, member)
        generation = group.generation_id
        group.sync_timer = self.scheduler.call_later(
            group.rebalance_timeout_ms, lambda: self._expire_pending_sync(group, generation)
        )

    def _expire_pending_sync(self, group: Group, generation: int) -> None:
        group.sync_timer = None
        if generation != group.generation_id or not group.is_(COMPLETING, STABLE):
            return
        if not group.pending_sync:
            return
        for member_id in list(group.pending_sync):
            member = group.members.get(member_id)
            log.info("group %s: member %s never sent SyncGroup", group.group_id, member_id)
            if member is not None:
                self._drop_member(group, member)
        self._prepare_rebalance(group, "members did not send SyncGroup in time")

    # --- SyncGroup --------------------------------------------------------------------------

    def sync(
        self,
        group_id: str,
        generation_id: int,
        member_id: str,
        group_instance_id: str | None,
        protocol_type: str | None,
        protocol_name: str | None,
        assignments: dict[str, bytes],
    ) -> asyncio.Future[SyncResult]:
        fut: asyncio.Future[SyncResult] = self.scheduler.create_future()
        try:
            self._sync(
                fut,
                group_id,
                generation_id,
                member_id,
                group_instance_id,
                protocol_type,
                protocol_name,
                assignments,
            )
        except KafkaError as e:
            if not fut.done():
                fut.set_result(SyncResult(e.code))
        return fut

    def _sync(
        self,
        fut: asyncio.Future,
        group_id: str,
        generation_id: int,
        member_id: str,
        group_instance_id: str | None,
        protocol_type: str | None,
        protocol_name: str | None,
        assignments: dict[str, bytes],
    ) -> None:
        group = self.groups.get(group_id)
        if group is None:
            raise KafkaError(ErrorCode.unknown_member_id, f"group {group_id} is unknown")
        if group.is_(DEAD):
            raise KafkaError(ErrorCode.coordinator_not_available)
        member = self._validate_member(group, member_id, group_instance_id)
        if generation_id != group.generation_id:
            raise KafkaError(ErrorCode.illegal_generation)
        if protocol_type is not None and protocol_type != group.protocol_type:
            raise KafkaError(ErrorCode.inconsistent_group_protocol)
        if protocol_name is not None and protocol_name != group.protocol_name:
            raise KafkaError(ErrorCode.inconsistent_group_protocol)
        if group.is_(EMPTY):
            raise KafkaError(ErrorCode.unknown_member_id)
        if group.is_(PREPARING):
            raise KafkaError(ErrorCode.rebalance_in_progress)
        group.pending_sync.discard(member_id)
        self._schedule_session(group, member)
        if group.is_(STABLE):
            fut.set_result(self._sync_result(group, member))
            return
        # CompletingRebalance: wait for the leader's assignment.
        member.complete_sync(SyncResult(ErrorCode.rebalance_in_progress))
        member.sync_future = fut
        if not group.is_leader(member_id):
            return
        full = {mid: assignments.get(mid, b"") for mid in group.members}
        try:
            self._store_group(group, full)
        except KafkaError as e:
            log.error("could not store group %s: %s", group.group_id, e.message)
            self._reset_assignments(group, ErrorCode.coordinator_not_available)
            self._prepare_rebalance(group, "storing the assignment failed")
            return
        for mid, m in group.members.items():
            m.assignment = full[mid]
        group.transition(STABLE, self.scheduler.now_ms())
        log.info("group %s generation %d is stable", group.group_id, group.generation_id)
        for m in group.members.values():
            if m.awaiting_sync:
                m.complete_sync(self._sync_result(group, m))

    def _sync_result(self, group: Group, member: Member) -> SyncResult:
        return SyncResult(
            ErrorCode.none, member.assignment, group.protocol_type, group.protocol_name
        )

    def _reset_assignments(self, group: Group, error: ErrorCode) -> None:
        for m in group.members.values():
            m.assignment = b""
            m.complete_sync(SyncResult(error))

    # --- Heartbeat and LeaveGroup -----------------------------------------------------------

    def heartbeat(
        self, group_id: str, generation_id: int, member_id: str, group_instance_id: str | None
    ) -> ErrorCode:
        try:
            group = self.groups.get(group_id)
            if group is None:
                raise KafkaError(ErrorCode.unknown_member_id)
            if group.is_(DEAD):
                raise KafkaError(ErrorCode.coordinator_not_available)
            member = self._validate_member(group, member_id, group_instance_id)
            if generation_id != group.generation_id:
                raise KafkaError(ErrorCode.illegal_generation)
            if group.is_(EMPTY):
                raise KafkaError(ErrorCode.unknown_member_id)
        except KafkaError as e:
            return e.code
        self._schedule_session(group, member)
        if group.is_(PREPARING):
            return ErrorCode.rebalance_in_progress
        return ErrorCode.none

    def leave(
        self, group_id: str, leaving: list[tuple[str, str | None]]
    ) -> tuple[ErrorCode, list[ErrorCode]]:
        """(top-level error, one error per leaving (member id, group instance id))."""
        group = self.groups.get(group_id)
        if group is None:
            return ErrorCode.none, [ErrorCode.unknown_member_id] * len(leaving)
        if group.is_(DEAD):
            return ErrorCode.coordinator_not_available, []
        errors = []
        for member_id, instance_id in leaving:
            if member_id == "" and instance_id is not None:
                member_id = group.static_members.get(instance_id, "")
            timer = group.pending_members.pop(member_id, None)
            if timer is not None:
                timer.cancel()
                errors.append(ErrorCode.none)
                self._try_complete_join(group)
            elif group.static_member_fenced(instance_id, member_id):
                errors.append(ErrorCode.fenced_instance_id)
            elif member_id not in group.members:
                errors.append(ErrorCode.unknown_member_id)
            else:
                log.info("group %s: member %s left", group_id, member_id)
                self._remove_member_and_update(group, group.members[member_id])
                errors.append(ErrorCode.none)
        return ErrorCode.none, errors

    # --- membership bookkeeping -------------------------------------------------------------

    def _validate_member(self, group: Group, member_id: str, instance_id: str | None) -> Member:
        if group.static_member_fenced(instance_id, member_id):
            raise KafkaError(
                ErrorCode.fenced_instance_id,
                f"instance {instance_id} is now a newer member than {member_id}",
            )
        member = group.members.get(member_id)
        if member is None:
            raise KafkaError(ErrorCode.unknown_member_id, f"{member_id} is not a member")
        return member

    def _schedule_session(self, group: Group, member: Member) -> None:
        if member.heartbeat_timer is not None:
            member.heartbeat_timer.cancel()
        if member.is_new and member.awaiting_join:
            delay = self.config.new_member_join_timeout_ms
        else:
            delay = member.session_timeout_ms
        member.heartbeat_timer = self.scheduler.call_later(
            delay, lambda: self._session_expired(group, member)
        )

    def _session_expired(self, group: Group, member: Member) -> None:
        member.heartbeat_timer = None
        if group.members.get(member.member_id) is not member:
            return  # it left, or was replaced, meanwhile
        if (member.awaiting_join and not member.is_new) or member.awaiting_sync:
            # A member waiting on a long poll cannot heartbeat; the join and sync phases
            # have their own deadlines.
            self._schedule_session(group, member)
            return
        log.info(
            "group %s: member %s session timed out (%d ms)",
            group.group_id,
            member.member_id,
            member.session_timeout_ms,
        )
        self._remove_member_and_update(group, member)

    def _expire_pending_member(self, group: Group, member_id: str) -> None:
        if group.pending_members.pop(member_id, None) is not None:
            self._try_complete_join(group)

    def _drop_member(self, group: Group, member: Member) -> None:
        """Remove a member and fail its pending polls, without any state change."""
        member.complete_join(JoinResult(ErrorCode.unknown_member_id, member.member_id))
        member.complete_sync(SyncResult(ErrorCode.unknown_member_id))
        if member.heartbeat_timer is not None:
            member.heartbeat_timer.cancel()
            member.heartbeat_timer = None
        group.remove(member.member_id)

    def _remove_member_and_update(self, group: Group, member: Member) -> None:
        self._drop_member(group, member)
        if group.is_(STABLE, COMPLETING):
            self._prepare_rebalance(group, f"member {member.member_id} left")
        elif group.is_(PREPARING):
            self._try_complete_join(group)

    @staticmethod
    def _cancel(group: Group, attr: str) -> None:
        timer = getattr(group, attr)
        if timer is not None:
            timer.cancel()
            setattr(group, attr, None)

    # --- committed offsets ------------------------------------------------------------------

    def commit_offsets(
        self,
        group_id: str,
        generation_id: int,
        member_id: str,
        group_instance_id: str | None,
        offsets: dict[TopicPartition, OffsetAndMetadata],
        api_version: int | None = None,
    ) -> dict[TopicPartition, ErrorCode]:
        """Store offsets; a group-level refusal is every partition's error. ``generation_id``
        is the member epoch for a consumer group (OffsetCommit v9+)."""
        try:
            consumer_group = self.consumer.groups.get(group_id)
            if consumer_group is not None:
                self.consumer.validate_offset_commit(
                    consumer_group, member_id, group_instance_id, generation_id, False, api_version
                )
                return self._store_offsets(consumer_group, offsets)
            group = self._commit_target(group_id, generation_id, member_id, group_instance_id)
        except KafkaError as e:
            return dict.fromkeys(offsets, e.code)
        return self._store_offsets(group, offsets)

    def _commit_target(
        self, group_id: str, generation_id: int, member_id: str, group_instance_id: str | None
    ) -> Group:
        if not group_id:
            raise KafkaError(ErrorCode.invalid_group_id)
        group = self.groups.get(group_id)
        if group is None:
            if generation_id >= 0:
                raise KafkaError(ErrorCode.illegal_generation, f"group {group_id} is unknown")
            # A simple consumer: Kafka stores its offsets without any membership.
            group = self.groups[group_id] = Group(group_id)
        if group.is_(DEAD):
            raise KafkaError(ErrorCode.coordinator_not_available)
        if not (generation_id < 0 and group.is_(EMPTY)):
            member = self._validate_member(group, member_id, group_instance_id)
            if generation_id != group.generation_id:
                raise KafkaError(ErrorCode.illegal_generation)
            if group.is_(COMPLETING):
                raise KafkaError(ErrorCode.rebalance_in_progress)
            self._schedule_session(group, member)
        return group

    def _within_metadata_limit(
        self, offsets: dict[TopicPartition, OffsetAndMetadata]
    ) -> tuple[dict[TopicPartition, OffsetAndMetadata], dict[TopicPartition, ErrorCode]]:
        """(the offsets whose metadata fits offset.metadata.max.bytes, OFFSET_METADATA_TOO_LARGE
        for the others)."""
        valid: dict[TopicPartition, OffsetAndMetadata] = {}
        errors: dict[TopicPartition, ErrorCode] = {}
        for tp, om in offsets.items():
            if len(om.metadata.encode()) > self.config.offset_metadata_max_bytes:
                errors[tp] = ErrorCode.offset_metadata_too_large
            else:
                valid[tp] = om
        return valid, errors

    def _store_offsets(
        self, group: Group | ConsumerGroup, offsets: dict[TopicPartition, OffsetAndMetadata]
    ) -> dict[TopicPartition, ErrorCode]:
        valid, errors = self._within_metadata_limit(offsets)
        if valid:
            entries = [
                (fmt.offset_key(group.group_id, t, p), fmt.offset_value(om))
                for (t, p), om in valid.items()
            ]
            try:
                first = self.store.append(group.group_id, entries)
            except KafkaError as e:
                log.error("could not store offsets of group %s: %s", group.group_id, e.message)
                code = (
                    ErrorCode.invalid_commit_offset_size
                    if e.code in (ErrorCode.message_too_large, ErrorCode.record_list_too_large)
                    else ErrorCode.coordinator_not_available
                )
                return errors | dict.fromkeys(valid, code)
            group.offsets.update(_stored_at(valid, first))
        return errors | dict.fromkeys(valid, ErrorCode.none)

    # --- transactional offsets ------------------------------------------------------------

    def commit_txn_offsets(
        self,
        group_id: str,
        producer_id: int,
        producer_epoch: int,
        generation_id: int,
        member_id: str,
        group_instance_id: str | None,
        offsets: dict[TopicPartition, OffsetAndMetadata],
    ) -> dict[TopicPartition, ErrorCode]:
        """TxnOffsetCommit: write the offsets as part of the producer's transaction; they
        are pending until its marker (see complete_txn)."""
        try:
            self._txn_commit_target(group_id, generation_id, member_id, group_instance_id)
        except KafkaError as e:
            return dict.fromkeys(offsets, e.code)
        valid, errors = self._within_metadata_limit(offsets)
        if not valid:
            return errors
        entries = [
            (fmt.offset_key(group_id, t, p), fmt.offset_value(om)) for (t, p), om in valid.items()
        ]
        try:
            first = self.store.append_txn(group_id, entries, producer_id, producer_epoch)
        except KafkaError as e:
            log.info("transactional offsets of group %s refused: %s", group_id, e.message)
            code = e.code
            if code not in (ErrorCode.invalid_producer_epoch, ErrorCode.producer_fenced):
                code = ErrorCode.coordinator_not_available
            return errors | dict.fromkeys(valid, code)
        pending = self.pending_txn.setdefault(producer_id, {}).setdefault(group_id, {})
        pending.update(_stored_at(valid, first))
        return errors | dict.fromkeys(valid, ErrorCode.none)

    def _txn_commit_target(
        self, group_id: str, generation_id: int, member_id: str, group_instance_id: str | None
    ) -> None:
        # Kafka's doTxnCommitOffsets: member checks only when the request names a member
        if not group_id:
            raise KafkaError(ErrorCode.invalid_group_id)
        consumer_group = self.consumer.groups.get(group_id)
        if consumer_group is not None:
            self.consumer.validate_offset_commit(
                consumer_group, member_id, group_instance_id, generation_id, True, None
            )
            return
        group = self.groups.get(group_id)
        if group is None:
            group = self.groups[group_id] = Group(group_id)
        if group.is_(DEAD):
            raise KafkaError(ErrorCode.coordinator_not_available)
        if group_instance_id is not None:
            known = group.static_members.get(group_instance_id)
            if known is not None and known != member_id:
                raise KafkaError(ErrorCode.fenced_instance_id)
        if member_id and member_id not in group.members:
            raise KafkaError(ErrorCode.unknown_member_id)
        if generation_id >= 0 and generation_id != group.generation_id:
            raise KafkaError(ErrorCode.illegal_generation)

    def complete_txn(self, producer_id: int, commit: bool, offsets_partition: int) -> None:
        """The producer's marker was written to offsets partition ``offsets_partition``:
        apply (commit) or drop (abort) its pending offsets of the groups living there."""
        by_group = self.pending_txn.get(producer_id)
        if not by_group:
            return
        for group_id in [g for g in by_group if self.store.partition_of(g) == offsets_partition]:
            offsets = by_group.pop(group_id)
            if not commit:
                continue
            group = self._offsets_owner(group_id)
            if group is None:
                group = self.groups[group_id] = Group(group_id)
            for tp, om in offsets.items():
                if newer(group.offsets.get(tp), om):  # a plain commit stored since stays
                    group.offsets[tp] = om
        if not by_group:
            del self.pending_txn[producer_id]

    def pending_partitions(self, group_id: str) -> set[TopicPartition]:
        """Partitions of the group with offsets of an undecided transaction."""
        return {tp for by_group in self.pending_txn.values() for tp in by_group.get(group_id, {})}

    def fetch_offsets(
        self, group_id: str, partitions: list[TopicPartition] | None
    ) -> dict[TopicPartition, OffsetAndMetadata | None]:
        """Committed offsets of the partitions asked (None: all the group has)."""
        group = self._offsets_owner(group_id)
        stored = group.offsets if group is not None else {}
        if partitions is None:
            return dict(sorted(stored.items()))
        return {tp: stored.get(tp) for tp in partitions}

    def delete_offsets(
        self, group_id: str, partitions: list[TopicPartition]
    ) -> tuple[ErrorCode, dict[TopicPartition, ErrorCode]]:
        consumer_group = self.consumer.groups.get(group_id)
        if consumer_group is not None:
            # Kafka: allowed in any state, except on topics the group subscribes to
            errors = {
                tp: ErrorCode.group_subscribed_to_topic
                for tp in partitions
                if consumer_group.is_subscribed_to(tp[0])
            }
            deletable = [tp for tp in partitions if tp not in errors]
            return self._delete_offsets(consumer_group, deletable, errors)
        group = self.groups.get(group_id)
        if group is None or group.is_(DEAD):
            return ErrorCode.group_id_not_found, {}
        errors = {}
        if group.is_(EMPTY):
            deletable = list(partitions)
        elif group.protocol_type == CONSUMER_PROTOCOL_TYPE:
            deletable = []
            for tp in partitions:
                if group.is_subscribed_to(tp[0]):
                    errors[tp] = ErrorCode.group_subscribed_to_topic
                else:
                    deletable.append(tp)
        else:
            return ErrorCode.non_empty_group, {}
        return self._delete_offsets(group, deletable, errors)

    def _delete_offsets(
        self,
        group: Group | ConsumerGroup,
        deletable: list[TopicPartition],
        errors: dict[TopicPartition, ErrorCode],
    ) -> tuple[ErrorCode, dict[TopicPartition, ErrorCode]]:
        present = [tp for tp in deletable if tp in group.offsets]
        if present:
            try:
                self.store.append(
                    group.group_id,
                    [(fmt.offset_key(group.group_id, t, p), None) for t, p in present],
                )
            except KafkaError as e:
                log.error("could not delete offsets of %s: %s", group.group_id, e.message)
                return ErrorCode.coordinator_not_available, {}
            for tp in present:
                del group.offsets[tp]
        return ErrorCode.none, errors | dict.fromkeys(deletable, ErrorCode.none)

    def remove_offsets_of_topics(self, topics: set[str]) -> None:
        """Topics were deleted: forget (and tombstone) what every group committed on them."""
        for group in list(self._all_groups()):
            gone = [tp for tp in group.offsets if tp[0] in topics]
            if gone:
                self._tombstone_offsets(group, gone)

    # --- listing and deleting groups --------------------------------------------------------

    def list_groups(
        self, states: set[GroupState] | None = None
    ) -> list[tuple[str, str, GroupState]]:
        """(group id, protocol type, state) of each group, optionally of some states only."""
        return [
            (g.group_id, g.protocol_type or "", g.state)
            for g in sorted(self.groups.values(), key=lambda g: g.group_id)
            if states is None or g.state in states
        ]

    def describe(self, group_id: str) -> Group | None:
        return self.groups.get(group_id)

    def _offsets_owner(self, group_id: str) -> Group | ConsumerGroup | None:
        return self.consumer.groups.get(group_id) or self.groups.get(group_id)

    def _all_groups(self) -> list[Group | ConsumerGroup]:
        return [*self.groups.values(), *self.consumer.groups.values()]

    def delete_group(self, group_id: str) -> ErrorCode:
        """Delete an Empty group with its offsets (tombstones); NON_EMPTY_GROUP otherwise."""
        group = self.groups.get(group_id)
        if not group_id:
            return ErrorCode.invalid_group_id
        consumer_group = self.consumer.groups.get(group_id)
        if consumer_group is not None:
            return self._delete_consumer_group(consumer_group)
        if group is None or group.is_(DEAD):
            return ErrorCode.group_id_not_found
        if not group.is_(EMPTY):
            return ErrorCode.non_empty_group
        entries = [(fmt.offset_key(group_id, t, p), None) for t, p in group.offsets]
        entries.append((fmt.group_key(group_id), None))
        try:
            self.store.append(group_id, entries)
        except KafkaError as e:
            log.error("could not delete group %s: %s", group_id, e.message)
            return ErrorCode.coordinator_not_available
        self._forget(group)
        log.info("deleted group %s", group_id)
        return ErrorCode.none

    def _delete_consumer_group(self, group: ConsumerGroup) -> ErrorCode:
        if group.members:
            return ErrorCode.non_empty_group
        entries = [(fmt.offset_key(group.group_id, t, p), None) for t, p in group.offsets]
        entries += self.consumer.deletion_entries(group)
        try:
            self.store.append(group.group_id, entries)
        except KafkaError as e:
            log.error("could not delete group %s: %s", group.group_id, e.message)
            return ErrorCode.coordinator_not_available
        self.consumer.forget(group.group_id)
        log.info("deleted consumer group %s", group.group_id)
        return ErrorCode.none

    def _forget(self, group: Group) -> None:
        group.transition(DEAD, self.scheduler.now_ms())
        self._cancel(group, "join_timer")
        self._cancel(group, "sync_timer")
        del self.groups[group.group_id]

    # --- retention --------------------------------------------------------------------------

    def _retention_tick(self) -> None:
        try:
            self.expire_offsets()
        except Exception:  # a bug here must not stop later passes
            log.exception("offset expiration failed")
        self.start()

    def expire_offsets(self) -> int:
        """Drop offsets past retention, and groups left with nothing; the count expired."""
        now, retention = self.scheduler.now_ms(), self.config.offsets_retention_ms
        count = 0
        for group in list(self.groups.values()):
            if group.is_(EMPTY):
                since = group.state_timestamp_ms if group.protocol_type is not None else None
                gone = expired(group.offsets, since, now, retention)
            elif (
                group.is_(STABLE)
                and group.protocol_type == CONSUMER_PROTOCOL_TYPE
                and group.subscribed is not None
            ):
                unsubscribed = {
                    tp: om for tp, om in group.offsets.items() if tp[0] not in group.subscribed
                }
                gone = expired(unsubscribed, None, now, retention)
            else:
                continue
            if gone and not self._tombstone_offsets(group, gone):
                continue
            count += len(gone)
            if group.is_(EMPTY) and not group.offsets and not group.pending_members:
                try:
                    self.store.append(group.group_id, [(fmt.group_key(group.group_id), None)])
                except KafkaError as e:
                    log.error("could not remove group %s: %s", group.group_id, e.message)
                    continue
                self._forget(group)
        count += self._expire_consumer_offsets(now, retention)
        if count:
            log.info("expired %d committed offset(s)", count)
        return count

    def _expire_consumer_offsets(self, now: int, retention: int) -> int:
        """Kafka's rule for consumer groups: an offset of a topic the group does not subscribe
        to expires ``retention`` after its commit; an empty group left without offsets goes."""
        count = 0
        for group in list(self.consumer.groups.values()):
            unsubscribed = {
                tp: om for tp, om in group.offsets.items() if not group.is_subscribed_to(tp[0])
            }
            gone = expired(unsubscribed, None, now, retention)
            if gone and not self._tombstone_offsets(group, gone):
                continue
            count += len(gone)
            if gone and group.state is ConsumerGroupState.EMPTY and not group.offsets:
                self._delete_consumer_group(group)
        return count

    def _tombstone_offsets(
        self, group: Group | ConsumerGroup, partitions: list[TopicPartition]
    ) -> bool:
        try:
            self.store.append(
                group.group_id,
                [(fmt.offset_key(group.group_id, t, p), None) for t, p in partitions],
            )
        except KafkaError as e:
            log.error("could not remove offsets of group %s: %s", group.group_id, e.message)
            return False
        for tp in partitions:
            group.offsets.pop(tp, None)
        return True

    # --- persistence ------------------------------------------------------------------------

    def _store_group(self, group: Group, assignments: dict[str, bytes] | None = None) -> None:
        stored = fmt.StoredGroup(
            protocol_type=group.protocol_type or "",
            generation_id=group.generation_id,
            protocol_name=group.protocol_name,
            leader_id=group.leader_id if group.members else None,
            state_timestamp_ms=group.state_timestamp_ms or self.scheduler.now_ms(),
            members=[
                fmt.StoredMember(
                    member_id=m.member_id,
                    group_instance_id=m.group_instance_id,
                    client_id=m.client_id,
                    client_host=m.client_host,
                    rebalance_timeout_ms=m.rebalance_timeout_ms,
                    session_timeout_ms=m.session_timeout_ms,
                    subscription=m.metadata(group.protocol_name) if group.protocol_name else b"",
                    assignment=(assignments or {}).get(m.member_id, m.assignment),
                )
                for m in group.members.values()
            ],
        )
        self.store.append(
            group.group_id, [(fmt.group_key(group.group_id), fmt.group_value(stored))]
        )


def _stored_at(
    offsets: dict[TopicPartition, OffsetAndMetadata], first: int
) -> dict[TopicPartition, OffsetAndMetadata]:
    """The offsets with the log offsets of their records, appended in this order from
    ``first``."""
    return {tp: replace(om, log_offset=first + i) for i, (tp, om) in enumerate(offsets.items())}
