"""Rebuild groups and committed offsets by replaying ``__consumer_offsets`` at start-up.

Later records win, a null value deletes, exactly what compaction keeps: so replaying a
compacted log and an uncompacted one give the same groups. A group with stored members is
resumed Stable at its generation (its members keep heartbeating as if nothing happened;
those that do not come back expire after their session timeout); one without is Empty.

Offsets of transactions still undecided at the end come back as pending
(``load_pending_txn_offsets``). Records of consumer groups (KIP-848, key types 3-8) are
replayed by ``broker.group.consumer.records.apply``; a group id's offsets go to its consumer
group if it has one, else to its classic group.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace

from broker.group import log_format as fmt
from broker.group.consumer import records as consumer_records
from broker.group.consumer.model import ConsumerGroup
from broker.group.group import Group
from broker.group.member import Member
from broker.group.offsets import OffsetAndMetadata, newer
from broker.group.offsets_topic import Stored
from broker.group.state import GroupState

log = logging.getLogger("broker.group")


def load_groups(entries: Iterable[Stored]) -> dict[str, Group]:
    """The classic groups the records describe."""
    return load_all(entries)[0]


def load_all(
    entries: Iterable[Stored],
) -> tuple[dict[str, Group], dict[str, ConsumerGroup]]:
    """The classic groups and the consumer groups the records describe."""
    offsets: dict[str, dict[tuple[str, int], OffsetAndMetadata]] = {}
    stored: dict[str, fmt.StoredGroup] = {}
    consumer_groups: dict[str, ConsumerGroup] = {}
    skipped = 0
    for key, value, at in entries:
        try:
            if len(key) >= 2 and int.from_bytes(key[:2], "big") in consumer_records.KEY_TYPES:
                consumer_records.apply(consumer_groups, consumer_records.decode(key, value))
                continue
            k = fmt.decode_key(key)
            if isinstance(k, fmt.OffsetKey):
                group_offsets = offsets.setdefault(k.group, {})
                tp = (k.topic, k.partition)
                if value is None:
                    group_offsets.pop(tp, None)
                else:
                    # a committed transaction's records come at its marker, maybe after a
                    # plain commit stored later than them, which stays
                    om = replace(fmt.decode_offset_value(value), log_offset=at)
                    if newer(group_offsets.get(tp), om):
                        group_offsets[tp] = om
            elif value is None:
                stored.pop(k.group, None)
            else:
                stored[k.group] = fmt.decode_group_value(value)
        except (fmt.FormatError, UnicodeDecodeError) as e:
            skipped += 1
            log.warning("skipping an unreadable record of the offsets topic: %s", e)
    groups: dict[str, Group] = {}
    for group_id, consumer_group in consumer_groups.items():
        consumer_group.offsets = offsets.pop(group_id, {})
        stored.pop(group_id, None)  # a conversion wrote its tombstone first; be safe anyway
    for group_id in sorted(set(offsets) | set(stored)):
        group_offsets = offsets.get(group_id, {})
        meta = stored.get(group_id)
        if meta is None and not group_offsets:
            continue
        group = Group(group_id, offsets=group_offsets)
        if meta is not None:
            _restore(group, meta)
        groups[group_id] = group
    if skipped:
        log.warning("%d record(s) of the offsets topic could not be read", skipped)
    return groups, consumer_groups


def load_pending_txn_offsets(
    open_transactions: dict[int, list[Stored]],
) -> dict[int, dict[str, dict[tuple[str, int], OffsetAndMetadata]]]:
    """Producer id -> group -> the offsets its still undecided transaction committed, from the
    records of transactions the replay found without a marker."""
    pending: dict[int, dict[str, dict[tuple[str, int], OffsetAndMetadata]]] = {}
    for producer_id, entries in open_transactions.items():
        for key, value, at in entries:
            try:
                k = fmt.decode_key(key)
                if not isinstance(k, fmt.OffsetKey) or value is None:
                    continue
                om = replace(fmt.decode_offset_value(value), log_offset=at)
            except (fmt.FormatError, UnicodeDecodeError) as e:
                log.warning("skipping an unreadable transactional offset record: %s", e)
                continue
            by_group = pending.setdefault(producer_id, {})
            by_group.setdefault(k.group, {})[(k.topic, k.partition)] = om
    return pending


def _restore(group: Group, meta: fmt.StoredGroup) -> None:
    group.generation_id = meta.generation_id
    group.protocol_type = meta.protocol_type or None
    group.protocol_name = meta.protocol_name
    group.state_timestamp_ms = meta.state_timestamp_ms
    if not meta.members or meta.protocol_name is None:
        group.state = GroupState.EMPTY
        return
    for m in meta.members:
        group.add(
            Member(
                member_id=m.member_id,
                group_instance_id=m.group_instance_id,
                client_id=m.client_id,
                client_host=m.client_host,
                rebalance_timeout_ms=m.rebalance_timeout_ms,
                session_timeout_ms=m.session_timeout_ms,
                protocol_type=meta.protocol_type,
                protocols=[(meta.protocol_name, m.subscription)],
                assignment=m.assignment,
            )
        )
    group.leader_id = meta.leader_id if meta.leader_id in group.members else group.leader_id
    group.state = GroupState.STABLE
    group.update_subscriptions()
