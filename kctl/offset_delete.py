"""Delete a consumer group's committed offsets (Kafka's OffsetDelete API, key 47).

confluent-kafka's Python AdminClient does not expose librdkafka's
``rd_kafka_DeleteConsumerGroupOffsets``, so this calls it through ctypes on the very
librdkafka that confluent-kafka ships, configured like kctl's other clients: bootstrap,
TLS and SASL settings all apply, and the broker sees an ordinary librdkafka admin request.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

import confluent_kafka

_PRODUCER = 0  # rd_kafka_type_t: an admin-capable handle
_EVENT_TIMEOUT_MS = 100


class OffsetDeleteError(RuntimeError):
    """The request as a whole failed (group not found, group active, unreachable, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class PartitionResult:
    topic: str
    partition: int
    error: str | None  # None: the committed offset was deleted


class _TopicPartition(ctypes.Structure):
    _fields_ = (
        ("topic", ctypes.c_char_p),
        ("partition", ctypes.c_int32),
        ("offset", ctypes.c_int64),
        ("metadata", ctypes.c_void_p),
        ("metadata_size", ctypes.c_size_t),
        ("opaque", ctypes.c_void_p),
        ("err", ctypes.c_int),
        ("_private", ctypes.c_void_p),
    )


class _TopicPartitionList(ctypes.Structure):
    _fields_ = (
        ("cnt", ctypes.c_int),
        ("size", ctypes.c_int),
        ("elems", ctypes.POINTER(_TopicPartition)),
    )


@cache
def _lib() -> ctypes.CDLL:
    pkg = os.path.dirname(confluent_kafka.__file__)
    bundled = sorted(glob.glob(os.path.join(pkg, os.pardir, "confluent_kafka.libs", "librdkafka*")))
    path = bundled[0] if bundled else ctypes.util.find_library("rdkafka")
    if not path:
        raise OffsetDeleteError("NO_LIBRDKAFKA", "cannot locate librdkafka to send OffsetDelete")
    lib = ctypes.CDLL(path)
    vp, cp, sz = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t
    sigs = {
        "rd_kafka_conf_new": ([], vp),
        "rd_kafka_conf_set": ([vp, cp, cp, cp, sz], ctypes.c_int),
        "rd_kafka_conf_destroy": ([vp], None),
        "rd_kafka_new": ([ctypes.c_int, vp, cp, sz], vp),
        "rd_kafka_destroy": ([vp], None),
        "rd_kafka_queue_new": ([vp], vp),
        "rd_kafka_queue_destroy": ([vp], None),
        "rd_kafka_queue_poll": ([vp, ctypes.c_int], vp),
        "rd_kafka_event_destroy": ([vp], None),
        "rd_kafka_event_error": ([vp], ctypes.c_int),
        "rd_kafka_event_error_string": ([vp], cp),
        "rd_kafka_event_DeleteConsumerGroupOffsets_result": ([vp], vp),
        "rd_kafka_DeleteConsumerGroupOffsets_result_groups": ([vp, ctypes.POINTER(sz)], vp),
        "rd_kafka_group_result_error": ([vp], vp),
        "rd_kafka_group_result_partitions": ([vp], ctypes.POINTER(_TopicPartitionList)),
        "rd_kafka_error_name": ([vp], cp),
        "rd_kafka_error_string": ([vp], cp),
        "rd_kafka_err2name": ([ctypes.c_int], cp),
        "rd_kafka_err2str": ([ctypes.c_int], cp),
        "rd_kafka_topic_partition_list_new": ([ctypes.c_int], vp),
        "rd_kafka_topic_partition_list_add": ([vp, cp, ctypes.c_int32], vp),
        "rd_kafka_topic_partition_list_destroy": ([vp], None),
        "rd_kafka_DeleteConsumerGroupOffsets_new": ([cp, vp], vp),
        "rd_kafka_DeleteConsumerGroupOffsets_destroy": ([vp], None),
        "rd_kafka_DeleteConsumerGroupOffsets": ([vp, ctypes.POINTER(vp), sz, vp, vp], None),
    }
    for name, (args, res) in sigs.items():
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = args, res
    return lib


def _handle(lib: ctypes.CDLL, config: Mapping[str, object]) -> int:
    conf = lib.rd_kafka_conf_new()
    errstr = ctypes.create_string_buffer(512)
    for key, value in config.items():
        if not isinstance(value, str | int | float | bool):
            continue  # Python-only settings (logger, error_cb, ...) cannot cross into C
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if lib.rd_kafka_conf_set(conf, key.encode(), text.encode(), errstr, 512) != 0:
            lib.rd_kafka_conf_destroy(conf)
            raise OffsetDeleteError("INVALID_CONFIG", errstr.value.decode(errors="replace"))
    rk = lib.rd_kafka_new(_PRODUCER, conf, errstr, 512)
    if not rk:  # on failure the conf is still ours
        lib.rd_kafka_conf_destroy(conf)
        raise OffsetDeleteError("INVALID_CONFIG", errstr.value.decode(errors="replace"))
    return rk


def delete_offsets(
    config: Mapping[str, object],
    group: str,
    partitions: Iterable[tuple[str, int]],
    timeout: float,
) -> list[PartitionResult]:
    """Delete ``group``'s committed offsets for ``partitions``; one result per partition.

    Raises ``OffsetDeleteError`` when the whole request fails (e.g. GROUP_SUBSCRIBED_TO_TOPIC
    comes back per partition, GROUP_ID_NOT_FOUND or a timeout for the request).
    """
    lib = _lib()
    rk = _handle(lib, config)
    queue = tplist = request = event = None
    request_failed = False
    try:
        queue = lib.rd_kafka_queue_new(rk)
        tplist = lib.rd_kafka_topic_partition_list_new(8)
        for topic, partition in partitions:
            lib.rd_kafka_topic_partition_list_add(tplist, topic.encode(), partition)
        request = lib.rd_kafka_DeleteConsumerGroupOffsets_new(group.encode(), tplist)
        requests = (ctypes.c_void_p * 1)(request)
        lib.rd_kafka_DeleteConsumerGroupOffsets(rk, requests, 1, None, queue)
        waited_ms = 0
        while not event:
            if waited_ms >= timeout * 1000:
                raise OffsetDeleteError("TIMED_OUT", f"no answer within {timeout:g}s")
            # Short polls keep Ctrl-C responsive.
            event = lib.rd_kafka_queue_poll(queue, _EVENT_TIMEOUT_MS)
            waited_ms += _EVENT_TIMEOUT_MS
        code = lib.rd_kafka_event_error(event)
        if code:
            request_failed = True
            raise OffsetDeleteError(
                lib.rd_kafka_err2name(code).decode(),
                lib.rd_kafka_event_error_string(event).decode(errors="replace"),
            )
        result = lib.rd_kafka_event_DeleteConsumerGroupOffsets_result(event)
        count = ctypes.c_size_t(0)
        groups = lib.rd_kafka_DeleteConsumerGroupOffsets_result_groups(result, ctypes.byref(count))
        group_result = ctypes.cast(groups, ctypes.POINTER(ctypes.c_void_p))[0]
        gerr = lib.rd_kafka_group_result_error(group_result)
        if gerr:
            raise OffsetDeleteError(
                lib.rd_kafka_error_name(gerr).decode(),
                lib.rd_kafka_error_string(gerr).decode(errors="replace"),
            )
        plist = lib.rd_kafka_group_result_partitions(group_result).contents
        out = []
        for i in range(plist.cnt):
            tp = plist.elems[i]
            err = lib.rd_kafka_err2str(tp.err).decode() if tp.err else None
            out.append(PartitionResult(tp.topic.decode(), tp.partition, err))
        return out
    finally:
        if event:
            lib.rd_kafka_event_destroy(event)
        if request:
            lib.rd_kafka_DeleteConsumerGroupOffsets_destroy(request)
        if tplist:
            lib.rd_kafka_topic_partition_list_destroy(tplist)
        # librdkafka aborts the process when a handle whose OffsetDelete request failed (for
        # one, a broker without KIP-496) is destroyed (librdkafka issue 3663); the command
        # exits right after, so that handle is left to process exit instead.
        if not request_failed:
            if queue:
                lib.rd_kafka_queue_destroy(queue)
            lib.rd_kafka_destroy(rk)
