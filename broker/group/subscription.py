"""The topics a member of a "consumer" group subscribes to, read from its JoinGroup metadata.

The broker is otherwise protocol-agnostic; it reads subscriptions only to refuse OffsetDelete
on a topic the group consumes (GROUP_SUBSCRIBED_TO_TOPIC). ConsumerProtocolSubscription
(every version) starts with ``version int16`` then ``topics [string]`` (int16 lengths).
"""

from __future__ import annotations

import struct

CONSUMER_PROTOCOL_TYPE = "consumer"


def subscribed_topics(metadata: bytes) -> set[str] | None:
    """The topics of a consumer subscription, or None if it cannot be parsed."""
    try:
        pos = 2
        (count,) = struct.unpack_from(">i", metadata, pos)
        pos += 4
        if count < 0 or count > len(metadata):
            return None
        topics = set()
        for _ in range(count):
            (n,) = struct.unpack_from(">h", metadata, pos)
            pos += 2
            if n < 0 or pos + n > len(metadata):
                return None
            topics.add(metadata[pos : pos + n].decode("utf-8"))
            pos += n
        return topics
    except (struct.error, UnicodeDecodeError):
        return None
