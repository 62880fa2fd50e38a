"""The coordinator of consumer groups of the KIP-848 protocol (ConsumerGroupHeartbeat).

Each heartbeat runs Kafka's three steps: (1) update the member (a changed subscription, or a
change in the subscribed topics' partitions, bumps the group epoch); (2) if the group epoch
is ahead of the assignment epoch, compute a new target assignment with the group's server
assignor; (3) move the member one step towards its target (reconciliation.py). Every change
is a list of records (records.py) written to ``__consumer_offsets`` in one batch *before* it
is applied to memory, so a failed write changes nothing and a restart replays the same
state. Timers: a member that does not heartbeat within ``group.consumer.session.timeout.ms``
is fenced (removed); one that does not revoke partitions within its rebalance timeout too.
A group's own ``consumer.session.timeout.ms`` and ``consumer.heartbeat.interval.ms`` (the GROUP
config resource, broker/group/group_configs.py), read through ``group_configs`` whenever a
timer starts or a heartbeat is answered, replace those broker values for it.

Topic metadata is read at each heartbeat (the subscription metadata is recomputed and
compared), which is how created, deleted and grown topics reach the group: Kafka refreshes on
a metadata change and on the next heartbeat the same way.

Mixed groups (classic members in a consumer group, KIP-848's online migration) are not
served: a classic JoinGroup to a non-empty consumer group is refused, and a heartbeat to a
non-empty classic group too; empty groups are converted, keeping their offsets.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from broker.errors import ErrorCode, KafkaError
from broker.group import log_format as fmt
from broker.group.consumer import records as rec
from broker.group.consumer.assignors import Assignor, GroupSpec, MemberSpec, build_assignors
from broker.group.consumer.model import (
    ConsumerGroup,
    ConsumerGroupState,
    ConsumerMember,
    MemberSubscription,
    TopicMetadata,
    matches,
    regex_is_valid,
)
from broker.group.consumer.reconciliation import (
    MemberState,
    Partitions,
    reconcile,
)
from broker.group.group_configs import ConsumerGroupTimeouts, consumer_timeouts
from broker.group.offsets_topic import OffsetsLog
from broker.group.timers import Cancellable, Scheduler

log = logging.getLogger("broker.group")

JOIN_EPOCH = 0
LEAVE_EPOCH = -1
STATIC_LEAVE_EPOCH = -2
# ConsumerGroupHeartbeat v1+: the client generates its member id (KIP-1082)
CLIENT_MEMBER_ID_VERSION = 1


@dataclass(frozen=True, slots=True)
class ConsumerConfig:
    session_timeout_ms: int = 45_000
    heartbeat_interval_ms: int = 5_000
    assignors: tuple[str, ...] = ("uniform", "range")
    max_size: int = 2**31 - 1


DescribeCheck = Callable[[str], bool]
# A group's own config overrides (GROUP resource) by group id; None: it has none
GroupConfigs = Callable[[str], Mapping[str, str] | None]


@dataclass(frozen=True, slots=True)
class HeartbeatRequest:
    group_id: str
    member_id: str
    member_epoch: int
    instance_id: str | None = None
    rack_id: str | None = None
    rebalance_timeout_ms: int = -1
    topic_names: tuple[str, ...] | None = None
    topic_regex: str | None = None
    server_assignor: str | None = None
    owned: Partitions | None = None
    client_id: str = ""
    client_host: str = ""
    version: int = 1
    # Describe on a topic for the member's principal; None: no authorizer, every topic
    may_describe: DescribeCheck | None = None


@dataclass(frozen=True, slots=True)
class HeartbeatResult:
    error: ErrorCode = ErrorCode.none
    message: str | None = None
    member_id: str | None = None
    member_epoch: int = 0
    heartbeat_interval_ms: int = 0
    assignment: Partitions | None = None


class TopicView(Protocol):
    """What the coordinator reads of a topic (the metadata image's TopicImage)."""

    topic_id: uuid.UUID
    partitions: Mapping[int, Any]


class ClassicGroups(Protocol):
    """The classic coordinator, whose group ids share the namespace."""

    groups: dict[str, Any]


class ConsumerGroupCoordinator:
    def __init__(
        self,
        config: ConsumerConfig,
        scheduler: Scheduler,
        store: OffsetsLog,
        classic: ClassicGroups,
        group_configs: GroupConfigs,
    ) -> None:
        self.config = config
        self.group_configs = group_configs
        self.scheduler = scheduler
        self.store = store
        self.classic = classic
        self.assignors: dict[str, Assignor] = build_assignors(config.assignors)
        self.default_assignor = next(iter(self.assignors))
        self.groups: dict[str, ConsumerGroup] = {}
        self._session_timers: dict[tuple[str, str], Cancellable] = {}
        self._rebalance_timers: dict[tuple[str, str], Cancellable] = {}
        # Each member's Describe check from its last heartbeat: a regex subscription counts
        # only the topics its member may describe (Kafka, KAFKA-18813). Kept in memory: a
        # member replayed at start-up keeps what its regex resolved to until it heartbeats.
        self._may_describe: dict[str, dict[str, DescribeCheck]] = {}  # group -> member ->

    # --- lifecycle --------------------------------------------------------------------------

    def loaded(self, groups: dict[str, ConsumerGroup]) -> None:
        """Take the groups replayed at start-up; their members get a fresh session."""
        self.groups = groups
        for group in groups.values():
            for member in group.members.values():
                self._schedule_session(group.group_id, member.member_id)
                self._update_rebalance_timer(group.group_id, member)

    def stop(self) -> None:
        for timer in (*self._session_timers.values(), *self._rebalance_timers.values()):
            timer.cancel()
        self._session_timers.clear()
        self._rebalance_timers.clear()

    # --- ConsumerGroupHeartbeat -------------------------------------------------------------

    def heartbeat(self, req: HeartbeatRequest, topics: Mapping[str, TopicView]) -> HeartbeatResult:
        try:
            self._validate(req)
            if req.member_epoch in (LEAVE_EPOCH, STATIC_LEAVE_EPOCH):
                return self._leave(req)
            return self._heartbeat(req, topics)
        except KafkaError as e:
            return HeartbeatResult(e.code, e.message)

    def _validate(self, req: HeartbeatRequest) -> None:
        def invalid(message: str) -> KafkaError:
            return KafkaError(ErrorCode.invalid_request, message)

        if not req.group_id:
            raise invalid("GroupId can't be empty.")
        needs_id = req.version >= CLIENT_MEMBER_ID_VERSION or req.member_epoch != JOIN_EPOCH
        if needs_id and not req.member_id:
            raise invalid("MemberId can't be empty.")
        if req.rack_id is not None and not req.rack_id:
            raise invalid("RackId can't be empty.")
        if req.member_epoch == JOIN_EPOCH:
            if req.rebalance_timeout_ms == -1:
                raise invalid("RebalanceTimeoutMs must be provided in first request.")
            if req.owned is None or req.owned:
                raise invalid("TopicPartitions must be empty when (re-)joining.")
            if req.topic_names is None and req.topic_regex is None:
                raise invalid(
                    "Either SubscribedTopicNames or SubscribedTopicRegex must be non-null "
                    "when (re-)joining."
                )
        elif req.member_epoch == STATIC_LEAVE_EPOCH:
            if req.instance_id is None:
                raise invalid("InstanceId can't be null.")
        elif req.member_epoch < STATIC_LEAVE_EPOCH:
            raise invalid("MemberEpoch is invalid.")
        if req.server_assignor is not None and req.server_assignor not in self.assignors:
            raise KafkaError(
                ErrorCode.unsupported_assignor,
                f"ServerAssignor {req.server_assignor} is not supported. Supported assignors: "
                f"{', '.join(self.assignors)}.",
            )
        if req.topic_regex and not regex_is_valid(req.topic_regex):
            raise KafkaError(
                ErrorCode.invalid_regular_expression,
                f"SubscribedTopicRegex {req.topic_regex} is not a valid regular expression.",
            )

    def timeouts(self, group_id: str) -> ConsumerGroupTimeouts:
        """The session timeout and heartbeat interval the group's members get."""
        return consumer_timeouts(
            self.group_configs(group_id),
            self.config.session_timeout_ms,
            self.config.heartbeat_interval_ms,
        )

    def _heartbeat(self, req: HeartbeatRequest, topics: Mapping[str, TopicView]) -> HeartbeatResult:
        records: list[rec.Record] = []
        extra: list[tuple[bytes, bytes | None]] = []  # the classic group it replaces, if any
        group = self._group_for_heartbeat(req, extra)
        member_id = req.member_id or str(uuid.uuid4())
        replaced: ConsumerMember | None = None
        if req.instance_id is None:
            member = self._dynamic_member(group, member_id, req)
        else:
            member, replaced = self._static_member(group, member_id, req)
        is_new = member_id not in group.members
        if is_new and replaced is None and len(group.members) >= self.config.max_size:
            raise KafkaError(
                ErrorCode.group_max_size_reached,
                f"The consumer group has reached its maximum capacity of "
                f"{self.config.max_size} members.",
            )
        gid = group.group_id
        if replaced is not None:
            records += [
                rec.CurrentAssignment(gid, replaced.member_id, None),
                rec.TargetMember(gid, replaced.member_id, None),
                rec.MemberMetadata(gid, replaced.member_id, None),
            ]
        old = member.subscription
        new = replace(
            old,
            member_id=member_id,
            instance_id=req.instance_id if req.instance_id is not None else old.instance_id,
            rack_id=req.rack_id if req.rack_id is not None else old.rack_id,
            client_id=req.client_id,
            client_host=req.client_host,
            topic_names=tuple(req.topic_names) if req.topic_names is not None else old.topic_names,
            topic_regex=(req.topic_regex or None)
            if req.topic_regex is not None
            else old.topic_regex,
            server_assignor=req.server_assignor or old.server_assignor,
            rebalance_timeout_ms=req.rebalance_timeout_ms
            if req.rebalance_timeout_ms != -1
            else old.rebalance_timeout_ms,
        )
        bump = group.group_epoch == 0
        if new != old or is_new:
            records.append(rec.MemberMetadata(gid, member_id, new))
            if new.topic_names != old.topic_names or new.topic_regex != old.topic_regex:
                bump = True
        subscriptions = {
            mid: m.subscription
            for mid, m in group.members.items()
            if replaced is None or mid != replaced.member_id
        }
        subscriptions[member_id] = new
        checks = self._describe_checks(group, member_id, req.may_describe)
        metadata = subscription_metadata(subscriptions, topics, checks)
        if metadata != group.subscription_metadata:
            records.append(rec.SubscriptionMetadata(gid, metadata))
            bump = True
        group_epoch = group.group_epoch + 1 if bump else group.group_epoch
        if bump:
            records.append(rec.GroupEpoch(gid, group_epoch))
        current_targets = dict(group.target)
        if replaced is not None:
            current_targets[member_id] = current_targets.pop(replaced.member_id, {})
        if group_epoch > group.assignment_epoch:
            targets = self._assign(group, subscriptions, metadata, current_targets, checks)
            for mid, parts in targets.items():
                if current_targets.get(mid) != parts or (
                    mid == member_id and (is_new or replaced is not None)
                ):
                    records.append(rec.TargetMember(gid, mid, parts))
            records.append(rec.TargetEpoch(gid, group_epoch))
            target_epoch, target = group_epoch, targets.get(member_id, {})
        else:
            target_epoch, target = group.assignment_epoch, current_targets.get(member_id, {})
            if replaced is not None:
                records.append(rec.TargetMember(gid, member_id, target))
        current = before = member.assignment  # member is replaced in place by the write
        if replaced is not None:
            current = replace(current, member_epoch=0, previous_member_epoch=0)
        updated = reconcile(current, target_epoch, target, group.partition_epoch, req.owned)
        if updated != before or is_new:
            records.append(rec.CurrentAssignment(gid, member_id, updated))
        self._write(group, records, extra)
        if replaced is not None:
            self._cancel_timers(gid, replaced.member_id)
        self._schedule_session(gid, member_id)
        self._update_rebalance_timer(gid, group.members[member_id])
        full = (
            req.rebalance_timeout_ms != -1
            and (req.topic_names is not None or req.topic_regex is not None)
            and req.owned is not None
        )
        changed = updated.assigned != before.assigned
        show = req.member_epoch == JOIN_EPOCH or full or changed or is_new
        return HeartbeatResult(
            member_id=member_id,
            member_epoch=updated.member_epoch,
            heartbeat_interval_ms=self.timeouts(gid).heartbeat_interval_ms,
            assignment=updated.assigned if show else None,
        )

    def _group_for_heartbeat(
        self, req: HeartbeatRequest, extra: list[tuple[bytes, bytes | None]]
    ) -> ConsumerGroup:
        group = self.groups.get(req.group_id)
        if group is not None:
            return group
        classic = self.classic.groups.get(req.group_id)
        if req.member_epoch != JOIN_EPOCH:
            if classic is not None:
                raise KafkaError(
                    ErrorCode.group_id_not_found,
                    f"Group {req.group_id} is not a consumer group.",
                )
            raise KafkaError(
                ErrorCode.group_id_not_found, f"Consumer group {req.group_id} not found."
            )
        if classic is not None:
            if classic.members or classic.pending_members:
                # Kafka upgrades a live classic group only under its migration policy, with
                # classic members in a consumer group (not served here)
                raise KafkaError(
                    ErrorCode.group_id_not_found,
                    f"Group {req.group_id} is not a consumer group.",
                )
            extra.append((fmt.group_key(req.group_id), None))
        # not in self.groups yet: the first record written materializes it
        return ConsumerGroup(req.group_id)

    def _dynamic_member(
        self, group: ConsumerGroup, member_id: str, req: HeartbeatRequest
    ) -> ConsumerMember:
        member = group.members.get(member_id)
        if req.member_epoch == JOIN_EPOCH:
            if member is None:
                log.info("group %s: member %s joins", group.group_id, member_id)
                return ConsumerMember(MemberSubscription(member_id))
            return member
        if member is None:
            raise KafkaError(
                ErrorCode.unknown_member_id,
                f"Member {member_id} is not a member of group {group.group_id}.",
            )
        self._check_epoch(member, req)
        return member

    def _static_member(
        self, group: ConsumerGroup, member_id: str, req: HeartbeatRequest
    ) -> tuple[ConsumerMember, ConsumerMember | None]:
        """The member, and the previous member of the same instance it replaces (or None)."""
        assert req.instance_id is not None
        existing = group.static_member(req.instance_id)
        if req.member_epoch == JOIN_EPOCH:
            if existing is None:
                member = group.members.get(member_id)
                if member is None:
                    member = ConsumerMember(MemberSubscription(member_id))
                log.info(
                    "group %s: static member %s (instance %s) joins",
                    group.group_id,
                    member_id,
                    req.instance_id,
                )
                return member, None
            if existing.member_epoch != STATIC_LEAVE_EPOCH:
                raise KafkaError(
                    ErrorCode.unreleased_instance_id,
                    f"Static member {existing.member_id} with instance id {req.instance_id} "
                    f"cannot join the group because the instance id is owned by "
                    f"{existing.member_id} member.",
                )
            log.info(
                "group %s: static member %s rejoins as %s, replacing %s",
                group.group_id,
                req.instance_id,
                member_id,
                existing.member_id,
            )
            if existing.member_id == member_id:
                return existing, None
            return ConsumerMember(existing.subscription, existing.assignment), existing
        if existing is None:
            raise KafkaError(
                ErrorCode.unknown_member_id, f"Instance id {req.instance_id} is unknown."
            )
        if existing.member_id != member_id:
            raise KafkaError(
                ErrorCode.fenced_instance_id,
                f"Static member {member_id} with instance id {req.instance_id} was fenced by "
                f"member {existing.member_id}.",
            )
        self._check_epoch(existing, req)
        return existing, None

    @staticmethod
    def _check_epoch(member: ConsumerMember, req: HeartbeatRequest) -> None:
        """Kafka's fencing: a newer epoch than ours is a lie; an older one is accepted only if
        it is the previous epoch and the member owns nothing outside its assignment (its
        response with the new epoch got lost)."""
        epoch = member.member_epoch
        if req.member_epoch > epoch:
            raise KafkaError(
                ErrorCode.fenced_member_epoch,
                f"The consumer group member has a greater member epoch ({req.member_epoch}) "
                f"than the one known by the group coordinator ({epoch}). The member must "
                f"abandon all its partitions and rejoin.",
            )
        if req.member_epoch < epoch:
            previous = member.assignment.previous_member_epoch
            subset = req.owned is not None and all(
                ps <= member.assignment.assigned.get(t, frozenset()) for t, ps in req.owned.items()
            )
            if req.member_epoch != previous or not subset:
                raise KafkaError(
                    ErrorCode.fenced_member_epoch,
                    f"The consumer group member has a smaller member epoch ({req.member_epoch}) "
                    f"than the one known by the group coordinator ({epoch}). The member must "
                    f"abandon all its partitions and rejoin.",
                )

    def _assign(
        self,
        group: ConsumerGroup,
        subscriptions: dict[str, MemberSubscription],
        metadata: dict[str, TopicMetadata],
        current: dict[str, Partitions],
        checks: Mapping[str, DescribeCheck],
    ) -> dict[str, Partitions]:
        votes = Counter(s.server_assignor for s in subscriptions.values() if s.server_assignor)
        name = votes.most_common(1)[0][0] if votes else self.default_assignor
        members = {}
        for mid, s in subscriptions.items():
            names = subscribed_names(s, metadata, checks.get(mid))
            members[mid] = MemberSpec(
                frozenset(metadata[n].topic_id for n in names), current.get(mid, {})
            )
        partitions = {t.topic_id: t.partitions for t in metadata.values()}
        targets = self.assignors[name].assign(GroupSpec(members, partitions))
        log.info(
            "group %s: target assignment for epoch %d computed by %s",
            group.group_id,
            group.group_epoch,
            name,
        )
        return {mid: targets.get(mid, {}) for mid in subscriptions}

    # --- leaving and fencing ----------------------------------------------------------------

    def _leave(self, req: HeartbeatRequest) -> HeartbeatResult:
        group = self.groups.get(req.group_id)
        if group is None:
            raise KafkaError(
                ErrorCode.group_id_not_found, f"Consumer group {req.group_id} not found."
            )
        if req.instance_id is None:
            member = group.members.get(req.member_id)
            if member is None:
                raise KafkaError(
                    ErrorCode.unknown_member_id,
                    f"Member {req.member_id} is not a member of group {group.group_id}.",
                )
            log.info("group %s: member %s left", group.group_id, member.member_id)
            self._fence(group, member)
        else:
            member = group.static_member(req.instance_id)
            if member is None:
                raise KafkaError(
                    ErrorCode.unknown_member_id, f"Instance id {req.instance_id} is unknown."
                )
            if member.member_id != req.member_id:
                raise KafkaError(
                    ErrorCode.fenced_instance_id,
                    f"Static member {req.member_id} with instance id {req.instance_id} was "
                    f"fenced by member {member.member_id}.",
                )
            if req.member_epoch == STATIC_LEAVE_EPOCH:
                # a temporary leave: its partitions stay held until it returns or its
                # session times out
                log.info(
                    "group %s: static member %s (instance %s) left temporarily",
                    group.group_id,
                    member.member_id,
                    req.instance_id,
                )
                leaving = replace(
                    member.assignment, member_epoch=STATIC_LEAVE_EPOCH, pending_revocation={}
                )
                self._write(
                    group, [rec.CurrentAssignment(group.group_id, member.member_id, leaving)]
                )
                self._cancel_rebalance_timer(group.group_id, member.member_id)
            else:
                log.info("group %s: static member %s left", group.group_id, member.member_id)
                self._fence(group, member)
        return HeartbeatResult(member_id=req.member_id, member_epoch=req.member_epoch)

    def _fence(self, group: ConsumerGroup, member: ConsumerMember) -> None:
        """Remove a member: its records go, and the group epoch moves on so the others get
        its partitions at their next heartbeat."""
        gid, mid = group.group_id, member.member_id
        records: list[rec.Record] = [
            rec.CurrentAssignment(gid, mid, None),
            rec.TargetMember(gid, mid, None),
            rec.MemberMetadata(gid, mid, None),
        ]
        remaining = {m.member_id: m.subscription for m in group.members.values()}
        del remaining[mid]
        names = all_subscribed_names(
            remaining, group.subscription_metadata, self._describe_checks(group)
        )
        metadata = {n: t for n, t in group.subscription_metadata.items() if n in names}
        if metadata != group.subscription_metadata:
            records.append(rec.SubscriptionMetadata(gid, metadata))
        records.append(rec.GroupEpoch(gid, group.group_epoch + 1))
        self._write(group, records)
        self._cancel_timers(gid, mid)

    # --- timers -----------------------------------------------------------------------------

    def _schedule_session(self, group_id: str, member_id: str) -> None:
        key = (group_id, member_id)
        timer = self._session_timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        self._session_timers[key] = self.scheduler.call_later(
            self.timeouts(group_id).session_timeout_ms,
            lambda: self._expire(group_id, member_id, "session"),
        )

    def _update_rebalance_timer(self, group_id: str, member: ConsumerMember) -> None:
        key = (group_id, member.member_id)
        if member.assignment.state is not MemberState.UNREVOKED_PARTITIONS:
            self._cancel_rebalance_timer(group_id, member.member_id)
            return
        if key in self._rebalance_timers:
            return  # already counting since the revocation was asked
        timeout = member.subscription.rebalance_timeout_ms
        if timeout < 0:
            return
        epoch = member.member_epoch
        self._rebalance_timers[key] = self.scheduler.call_later(
            timeout, lambda: self._expire(group_id, member.member_id, "rebalance", epoch)
        )

    def _cancel_rebalance_timer(self, group_id: str, member_id: str) -> None:
        timer = self._rebalance_timers.pop((group_id, member_id), None)
        if timer is not None:
            timer.cancel()

    def _describe_checks(
        self, group: ConsumerGroup, member_id: str | None = None, check: DescribeCheck | None = None
    ) -> dict[str, DescribeCheck]:
        """Each member's Describe check, after recording ``member_id``'s from its heartbeat.

        Empty when there is no authorizer. A member without one yet (replayed at start-up)
        keeps the topics the group's subscription resolved to before.
        """
        known = self._may_describe.setdefault(group.group_id, {})
        if member_id is not None:
            if check is None:
                known.pop(member_id, None)
            else:
                known[member_id] = check
        if not known:
            return {}
        before = group.subscription_metadata.__contains__
        checks = {mid: known.get(mid, before) for mid in group.members}
        if member_id is not None and check is not None:
            checks[member_id] = check
        return checks

    def _cancel_timers(self, group_id: str, member_id: str) -> None:
        """The member left the group: its timers and Describe check go."""
        self._may_describe.get(group_id, {}).pop(member_id, None)
        timer = self._session_timers.pop((group_id, member_id), None)
        if timer is not None:
            timer.cancel()
        self._cancel_rebalance_timer(group_id, member_id)

    def _expire(self, group_id: str, member_id: str, why: str, epoch: int | None = None) -> None:
        timers = self._session_timers if why == "session" else self._rebalance_timers
        timers.pop((group_id, member_id), None)
        group = self.groups.get(group_id)
        member = group.members.get(member_id) if group is not None else None
        if group is None or member is None:
            return
        if epoch is not None and (
            member.member_epoch != epoch
            or member.assignment.state is not MemberState.UNREVOKED_PARTITIONS
        ):
            return
        log.info("group %s: member %s fenced: its %s timed out", group_id, member_id, why)
        try:
            self._fence(group, member)
        except KafkaError as e:
            log.error("group %s: could not remove member %s: %s", group_id, member_id, e.message)
            if why == "session":
                self._schedule_session(group_id, member_id)  # try again later

    # --- persistence ------------------------------------------------------------------------

    def _write(
        self,
        group: ConsumerGroup,
        records: list[rec.Record],
        extra: list[tuple[bytes, bytes | None]] | None = None,
    ) -> None:
        """Write the records (and raw entries before them), then apply them; KafkaError
        (COORDINATOR_NOT_AVAILABLE) and nothing changed if the write fails."""
        if not records and not extra:
            return
        entries = list(extra or ()) + [rec.encode(r) for r in records]
        try:
            self.store.append(group.group_id, entries)
        except KafkaError as e:
            log.error("could not store group %s: %s", group.group_id, e.message)
            raise KafkaError(ErrorCode.coordinator_not_available, e.message) from e
        now = self.scheduler.now_ms()
        if extra:
            classic = self.classic.groups.pop(group.group_id, None)
            if classic is not None:
                group.offsets = classic.offsets
                log.info("converted the empty classic group %s to a consumer group", group.group_id)
        if group.group_id not in self.groups:
            self.groups[group.group_id] = group
            group.state_timestamp_ms = now
        for r in records:
            rec.apply(self.groups, r, now)

    def deletion_entries(self, group: ConsumerGroup) -> list[tuple[bytes, bytes | None]]:
        """Tombstones of every record of the group, group metadata last."""
        gid = group.group_id
        records: list[rec.Record] = []
        for mid in group.members:
            records += [
                rec.CurrentAssignment(gid, mid, None),
                rec.MemberMetadata(gid, mid, None),
            ]
        records += [rec.TargetMember(gid, mid, None) for mid in group.target]
        records += [
            rec.TargetEpoch(gid, None),
            rec.SubscriptionMetadata(gid, None),
            rec.GroupEpoch(gid, None),
        ]
        return [rec.encode(r) for r in records]

    def forget(self, group_id: str) -> None:
        """The group was deleted (its tombstones written)."""
        group = self.groups.pop(group_id, None)
        self._may_describe.pop(group_id, None)
        if group is not None:
            for mid in group.members:
                self._cancel_timers(group_id, mid)

    # --- offsets of consumer groups ---------------------------------------------------------

    def validate_offset_commit(
        self,
        group: ConsumerGroup,
        member_id: str,
        instance_id: str | None,
        member_epoch: int,
        transactional: bool,
        api_version: int | None,
    ) -> None:
        """Kafka's ConsumerGroup.validateOffsetCommit."""
        if member_epoch < 0 and not group.members:
            return  # an admin client, or a consumer not using group management
        if transactional and member_epoch == -1 and not member_id and instance_id is None:
            return
        member = group.members.get(member_id)
        if member is None:
            raise KafkaError(
                ErrorCode.unknown_member_id,
                f"Member {member_id} is not a member of group {group.group_id}.",
            )
        if not transactional and api_version is not None and api_version < 9:
            raise KafkaError(
                ErrorCode.unsupported_version,
                "OffsetCommit version 9 or above must be used by members using the modern "
                "group protocol",
            )
        if member_epoch != member.member_epoch:
            raise KafkaError(
                ErrorCode.stale_member_epoch,
                f"The received member epoch {member_epoch} does not match the expected member "
                f"epoch {member.member_epoch}.",
            )

    def validate_offset_fetch(self, group_id: str, member_id: str | None, epoch: int) -> None:
        """Kafka's ConsumerGroup.validateOffsetFetch (OffsetFetch v9 names the member)."""
        group = self.groups.get(group_id)
        if group is None or (member_id is None and epoch < 0):
            return
        member = group.members.get(member_id or "")
        if member is None:
            raise KafkaError(
                ErrorCode.unknown_member_id,
                f"Member {member_id} is not a member of group {group_id}.",
            )
        if epoch != member.member_epoch:
            raise KafkaError(
                ErrorCode.stale_member_epoch,
                f"The received member epoch {epoch} does not match the expected member epoch "
                f"{member.member_epoch}.",
            )

    # --- listing ----------------------------------------------------------------------------

    def list_groups(self) -> list[tuple[str, ConsumerGroupState]]:
        return [(g.group_id, g.state) for g in sorted(self.groups.values(), key=_by_id)]


def _by_id(group: ConsumerGroup) -> str:
    return group.group_id


def subscribed_names(
    sub: MemberSubscription, topics: Mapping[str, Any], may_describe: DescribeCheck | None = None
) -> set[str]:
    """The names in ``topics`` the member subscribes to, by name or by its regex (then only
    those it may describe: named topics were checked when it subscribed)."""
    names = {n for n in sub.topic_names if n in topics}
    if sub.topic_regex:
        names |= {
            n
            for n in topics
            if matches(sub.topic_regex, n) and (may_describe is None or may_describe(n))
        }
    return names


def subscription_metadata(
    subscriptions: Mapping[str, MemberSubscription],
    topics: Mapping[str, TopicView],
    checks: Mapping[str, DescribeCheck],
) -> dict[str, TopicMetadata]:
    """Id and partition count of every existing topic some member subscribes to."""
    names = all_subscribed_names(subscriptions, topics, checks)
    return {
        n: TopicMetadata(topics[n].topic_id, n, len(topics[n].partitions)) for n in sorted(names)
    }


def all_subscribed_names(
    subscriptions: Mapping[str, MemberSubscription],
    topics: Mapping[str, Any],
    checks: Mapping[str, DescribeCheck],
) -> set[str]:
    """The names in ``topics`` some member subscribes to (``checks``: see subscribed_names)."""
    names: set[str] = set()
    resolved: dict[str, set[str]] = {}  # regex -> the topics it matches, for every member
    for mid, s in subscriptions.items():
        names.update(n for n in s.topic_names if n in topics)
        if s.topic_regex:
            hits = resolved.get(s.topic_regex)
            if hits is None:
                hits = resolved[s.topic_regex] = {n for n in topics if matches(s.topic_regex, n)}
            check = checks.get(mid)
            names |= hits if check is None else {n for n in hits if check(n)}
    return names
