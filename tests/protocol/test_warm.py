"""The versions loaded at start are served ones: each API's newest and librdkafka's."""

from __future__ import annotations

from broker.protocol import codec
from broker.protocol.apis import SERVED, ApiKey


def test_client_versions_are_served_and_cover_newest_and_librdkafka():
    versions = codec.client_versions()
    assert len(versions) == len(set(versions))
    assert all(v in SERVED[ApiKey(k)] for k, v in versions)
    assert {(k, r.max) for k, r in SERVED.items()} <= set(versions)
    assert {(ApiKey.PRODUCE, 10), (ApiKey.FETCH, 16), (ApiKey.JOIN_GROUP, 5)} <= set(versions)
    assert len(versions) < 2 * len(SERVED)
