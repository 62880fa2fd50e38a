"""DescribeLogDirs (key 35), v1-4: partition sizes in this broker's log directory.

A null topic list means every partition. v4+ adds the directory's total and usable bytes.
"""

from __future__ import annotations

import shutil

from broker.errors import ErrorCode
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation


@handles(ApiKey.DESCRIBE_LOG_DIRS)
async def handle(ctx, request):
    broker = ctx.broker
    if not ctx.authorize_cluster(AclOperation.DESCRIBE):
        return ctx.respond(
            throttle_time=0, error_code=ErrorCode.cluster_authorization_failed, results=()
        )
    if request.topics is None:
        wanted: dict[str, list[int]] = {}
        for topic, index in broker.partitions:
            wanted.setdefault(topic, []).append(index)
    else:
        wanted = {t.topic: list(t.partitions) for t in request.topics}
    topics = []
    for name, indexes in sorted(wanted.items()):
        parts = [
            ctx.make(
                "DescribeLogDirsPartition",
                partition_index=i,
                partition_size=p.log.size_bytes,
                offset_lag=0,
                is_future_key=False,
            )
            for i in sorted(indexes)
            if (p := broker.partition(name, i)) is not None
        ]
        if parts:
            topics.append(ctx.make("DescribeLogDirsTopic", name=name, partitions=tuple(parts)))
    usage = shutil.disk_usage(broker.data_dir)
    result = ctx.make(
        "DescribeLogDirsResult",
        error_code=ErrorCode.none,
        log_dir=str(broker.data_dir),
        topics=tuple(topics),
        total_bytes=usage.total,
        usable_bytes=usage.free,
    )
    return ctx.respond(throttle_time=0, error_code=ErrorCode.none, results=(result,))
