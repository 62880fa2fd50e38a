"""The Apache Kafka Java client (kafka-clients 4.3.0) against the real broker.

Each test runs one JVM with a batch of scenarios from tests/compat/java/ (see java_client.py)
and asserts on the JSON they print, and that the client logged no warning or error. The
scenarios compare what they read with what they sent field by field; the codec topics are
also read back with confluent-kafka, whose digest of the records must match the Java one.

Broker bugs the Java client found, each asserted below: Metadata by topic id ignored ids sent
with the name "" (Admin.describeTopics by id failed); ListOffsets LATEST_TIERED answered the
high watermark instead of -1; KIP-848 subscription regexes were read as Python regexes, so
Java's Pattern.quote (\\Q...\\E) was refused.
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from cryptography.hazmat.primitives import serialization

from tests.compat.java_client import Run
from tests.security.acl_helpers import authz_args
from tests.security.secure_broker import make_pki, secure_broker

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
SAMPLE_SIZE = 509  # Records.sample(): 5 special records, 4 random sizes, 500 compressible


def assert_quiet(run: Run, *expected: str) -> None:
    """The client logged nothing at WARN or above (no retries, no protocol complaints) but
    lines containing one of ``expected``."""
    noisy = run.log_lines("WARN") + run.log_lines("ERROR")
    unexpected = [line for line in noisy if not any(e in line for e in expected)]
    assert not unexpected, "\n".join(unexpected)


def record_digest(messages) -> str:
    """Records.digest() over confluent-kafka messages (see Records.java for the layout)."""
    h = hashlib.sha256()

    def field(b: bytes | None) -> None:
        h.update(struct.pack(">i", -1) if b is None else struct.pack(">i", len(b)) + b)

    for m in messages:
        field(m.key())
        field(m.value())
        h.update(struct.pack(">q", m.timestamp()[1]))
        headers = m.headers() or []
        h.update(struct.pack(">i", len(headers)))
        for name, value in headers:
            field(name.encode())
            field(value)
    return h.hexdigest()


def confluent_digests(bootstrap: str, topics: list[str], per_topic: int) -> dict[str, str]:
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "java-digest", "enable.auto.commit": False}
    )
    try:
        consumer.assign([TopicPartition(t, 0, OFFSET_BEGINNING) for t in topics])
        got: dict[str, list] = {t: [] for t in topics}
        for _ in range(400):
            for m in consumer.consume(500, 0.1):
                assert m.error() is None, m.error()
                got[m.topic()].append(m)
            if all(len(ms) >= per_topic for ms in got.values()):
                break
        assert {t: len(ms) for t, ms in got.items()} == dict.fromkeys(topics, per_topic)
        return {t: record_digest(ms) for t, ms in got.items()}
    finally:
        consumer.close()


def test_every_codec_round_trips_byte_exact(java, broker):
    run = java.run("Records", broker.bootstrap, "codecs")
    codecs = run["codecs"]["codecs"]
    assert list(codecs) == CODECS
    for codec, r in codecs.items():
        assert (r["sent"], r["read"], r["problems"]) == (SAMPLE_SIZE, SAMPLE_SIZE, []), codec
    # the compressible half shrinks on disk: the broker kept the client's compression
    for codec in CODECS[1:]:
        assert codecs[codec]["size"] < codecs["none"]["size"] - 30_000, (codec, codecs)
    # librdkafka decodes the Java client's batches to the same records
    topics = [r["topic"] for r in codecs.values()]
    digests = confluent_digests(broker.bootstrap, topics, SAMPLE_SIZE)
    assert digests == {r["topic"]: r["digest"] for r in codecs.values()}
    assert_quiet(run)


def test_acks_idempotence_and_the_consumer_api(java, broker):
    run = java.run("Records", broker.bootstrap, "acks", "idempotent", "consumer_api")
    acks = run["acks"]["acks"]
    for level, r in acks.items():
        assert (r["read"], r["problems"]) == (200, []), level
    assert acks["0"]["first_offsets"] == [-1, -1, -1]  # acks=0: no offsets come back
    assert acks["1"]["first_offsets"] == acks["all"]["first_offsets"] == [0, 1, 2]
    assert acks["1"]["last_offset"] == acks["all"]["last_offset"] == 199

    idem = run["idempotent"]
    assert (idem["sent"], idem["read"], idem["problems"]) == (9000, 9000, [])

    api = run["consumer_api"]
    assert api["beginning"] == [0, 0] and api["end"] == [100, 50]
    # first record at or after BASE_TS + 255 is offset 26 (timestamps step by 10)
    assert api["for_time_p0"] == [26, 1_700_000_000_260]
    assert api["for_time_p1_after_end"] is True
    assert api["after_seek"] == [f"a{i}" for i in range(90, 100)] + [f"b{i}" for i in range(45, 50)]
    assert api["paused"] == 1 and api["while_paused"] == ["flowing"]
    assert api["after_resume"] == ["paused"]
    assert api["positions"] == [101, 51]
    assert api["async_commit"] == 1
    assert api["committed"] == [42, "sync-meta", 7, "async-meta"]
    assert api["woke"] is True and api["wakeup_ms"] < 5000
    assert_quiet(run)


def test_transactions_with_read_committed(java, broker):
    run = java.run("Transactions", broker.bootstrap, "commit_abort", "fencing", "transform")
    r = run["commit_abort"]
    committed = sorted([f"c1-{i}" for i in range(10)] + [f"c2-{i}" for i in range(10)])
    # the open transaction's first record (partition 1, offset 18) holds back plain-1 after it
    assert r["read_committed_while_open"] == sorted([*committed, "plain-0"])
    assert (r["lso_p1"], r["hw_p1"]) == (18, 20)
    assert r["read_committed"] == sorted([*committed, "open-0", "plain-0", "plain-1"])
    aborted = [f"ab-{i}" for i in range(10)]
    assert r["read_uncommitted"] == sorted([*committed, *aborted, "open-0", "plain-0", "plain-1"])
    assert r["txn_offset"] == [17, "in-txn"]

    fencing = run["fencing"]
    assert fencing["read_committed"] == ["from-second"]
    # the fenced producer's send fails at the partition, its abort at the coordinator
    assert fencing["first_error"] == "InvalidProducerEpochException"
    assert fencing["abort_error"] == "ProducerFencedException"

    transform = run["transform"]
    assert transform["transformed"] == transform["read"] == 300 and transform["missing"] == []
    assert transform["transactions"] > 1
    assert transform["committed_total"] == 300
    assert_quiet(run)


def assert_churn(r: dict, group_type: str) -> None:
    """Members joined one by one (1, 2, 3) and one left (2): each step settled with every
    partition owned once and evenly; no record lost or read twice; all committed."""
    assert [s["members"] for s in r["steps"]] == [1, 2, 3, 2]
    assert all(s["settled"] for s in r["steps"]), r
    assert (r["produced"], r["seen"], r["duplicates"], r["missing"]) == (2000, 2000, 0, []), r
    assert r["errors"] == [], r
    assert r["committed_total"] == 2000, r
    assert (r["group_type"], r["group_state"]) == (group_type, "Empty")


def test_classic_groups_rebalance_without_loss(java, broker):
    run = java.run("Groups", broker.bootstrap, "eager", "cooperative", "static")
    assert_churn(run["eager"], "Classic")
    assert_churn(run["cooperative"], "Classic")
    static = run["static"]
    assert static["settled"] and static["rejoined"], static
    assert static["instances"] == ["inst-a", "inst-b"]
    # the restarted static member got its partitions back without a new generation
    assert static["same_partitions"] is True
    assert static["generation_after"] == [static["generation_before"]] * 2
    assert (static["seen"], static["duplicates"], static["errors"]) == (600, 0, [])
    assert_quiet(run)


def test_kip848_consumer_groups(java, broker_factory):
    b = broker_factory("--set", "group.consumer.heartbeat.interval.ms=500")
    run = java.run("Groups", b.bootstrap, "consumer", "regex")
    assert_churn(run["consumer"], "Consumer")
    regex = run["regex"]["protocols"]
    # Pattern.quote(prefix) + "-.*": RE2's \Q...\E on the broker (KIP-848), java.util.regex
    # in the classic client; both pick up a matching topic created while they run
    assert regex["classic"]["seen"] == ["a-1", "later-classic"]
    assert regex["classic"]["assigned_topics"] == 2
    assert regex["consumer"]["seen"] == ["a-1", "later-classic", "later-consumer"]
    assert regex["consumer"]["assigned_topics"] == 3
    # The client logs two races of its own at ERROR, as it would against Kafka: a commit that
    # crosses the heartbeat raising the member's epoch is refused with STALE_MEMBER_EPOCH
    # (the member commits again after its next poll, see Groups.Member.commit), and a member
    # closed while it takes over a leaver's partitions drops that reconciliation.
    assert_quiet(run, "with stale member epoch error", "Reconciliation failed")
    lines = run.log.splitlines()
    for i, line in enumerate(lines):
        if "Reconciliation failed" in line:
            assert "could not be completed before the consumer closed" in lines[i + 1], line


def test_admin_client(java, broker):
    run = java.run(
        "AdminOps", broker.bootstrap, "topics", "configs", "offsets", "groups", "cluster",
        "unsupported",
    )  # fmt: skip
    topics = run["topics"]
    assert topics["validate_only_partitions"] == 3
    assert topics["validate_only_retention"] == "3600000"
    assert topics["exists_after_validate"] is False
    assert topics["created_id_nonzero"] and topics["created_replication"] == 1
    assert topics["created_policy"] == "compact"
    assert topics["create_again"] == "TopicExistsException"
    assert topics["create_bad_config"] == "InvalidConfigurationException"
    assert topics["create_bad_replication"] == "InvalidReplicationFactorException"
    assert topics["listed"] and topics["internal_hidden"] and topics["internal_listed"]
    # describeTopics falls back from DescribeTopicPartitions (not served) to Metadata
    assert (topics["describe_partitions"], topics["describe_id_matches"]) == (3, True)
    assert (topics["describe_leader"], topics["describe_isr"]) == (1, 1)
    assert topics["authorized_operations"] == 8  # no authorizer: every topic operation
    # bug: the Java client asks by id with the name "", which was looked up as a name
    assert topics["describe_by_id_name"].startswith("java-admin-")
    assert topics["describe_unknown"] == "UnknownTopicOrPartitionException"
    assert topics["describe_unknown_id"] == "UnknownTopicIdException"
    assert topics["partitions_after_increase"] == 5
    assert topics["decrease"] == "InvalidPartitionsException"
    assert topics["increase_unknown"] == "UnknownTopicOrPartitionException"
    assert topics["deleted_listed"] is False and topics["deleted_by_id_listed"] is False
    assert topics["delete_again"] == "UnknownTopicOrPartitionException"

    configs = run["configs"]
    assert configs["topic"] == {
        "retention.ms": ["86400000", "DYNAMIC_TOPIC_CONFIG"],
        "cleanup.policy": ["delete", "DEFAULT_CONFIG"],
        "max.message.bytes": ["1048588", "DEFAULT_CONFIG"],
    }
    assert configs["broker"]["num.partitions"] == ["1", "DEFAULT_CONFIG"]
    assert configs["after_alter"] == {
        "retention.ms": ["604800000", "DEFAULT_CONFIG"],
        "segment.ms": ["600000", "DYNAMIC_TOPIC_CONFIG"],
        "cleanup.policy": ["delete,compact", "DYNAMIC_TOPIC_CONFIG"],
    }
    assert configs["after_subtract"] == {"cleanup.policy": ["compact", "DYNAMIC_TOPIC_CONFIG"]}
    assert configs["alter_invalid"] == "InvalidConfigurationException"
    assert configs["alter_unknown_topic"] == "UnknownTopicOrPartitionException"
    assert configs["validate_only"] == "ok"
    assert configs["after_validate_only"] == {"retention.ms": ["604800000", "DEFAULT_CONFIG"]}
    assert configs["broker_dynamic"] == {"log.retention.ms": ["7200000", "DYNAMIC_BROKER_CONFIG"]}

    offsets = run["offsets"]
    base = 1_700_000_000_000
    assert offsets["list_offsets"] == {
        "earliest": [0, -1],
        "latest": [10, -1],
        "time_25": [3, base + 30],
        "time_after": [-1, -1],
        "max_timestamp": [5, base + 900],
        "earliest_local": [0, -1],
        "latest_tiered": [-1, -1],  # bug: nothing is tiered, Kafka answers -1 (was 10)
    }
    assert offsets["low_watermark"] == offsets["earliest_after_delete"] == 4
    assert offsets["delete_beyond_end"] == "OffsetOutOfRangeException"
    assert offsets["list_unknown"] == "UnknownTopicOrPartitionException"

    groups = run["groups"]
    assert (groups["state_active"], groups["assignor"], groups["coordinator"]) == (
        "Stable",
        "range",
        1,
    )
    assert groups["members"] == [["java-admin-member", [0, 1]]]
    assert groups["alter_while_active"] == "UnknownMemberIdException"
    assert groups["delete_while_active"] == "GroupNotEmptyException"
    assert groups["list_consumer_groups"] == [["Empty", "Classic", False]]
    assert groups["list_groups"] == [["Classic", "consumer", "Empty"]]
    assert groups["list_groups_classic"] is True
    assert groups["offsets"] == {"0": [5, ""], "1": [5, ""]}
    assert groups["offsets_after_alter"] == {"0": [2, "moved"], "1": [3, ""]}
    assert groups["offsets_after_delete"] == {"0": [2, "moved"]}
    assert (groups["state_empty"], groups["describe_unknown"]) == ("Empty", "Dead")
    assert groups["listed_after_delete"] is False
    assert groups["delete_unknown"] == "GroupIdNotFoundException"

    cluster = run["cluster"]
    assert cluster["nodes"] == [broker.bootstrap] and cluster["controller"] == 1
    assert cluster["quorum_leader"] == 1
    assert cluster["log_dir_has_topic"] and cluster["log_dir_size_positive"]
    assert (cluster["producers"], cluster["producers_in_txn"]) == (2, 1)
    assert cluster["list_transactions"] == ["Ongoing"]
    assert cluster["describe_transaction"] == ["Ongoing", True, True]
    assert cluster["describe_after_commit"] == "CompleteCommit"
    assert cluster["describe_unknown_transaction"] == "TransactionalIdNotFoundException"
    assert cluster["fence_producers"] == "ok"
    assert cluster["quotas"] == {"consumer_byte_rate": 2097152.0, "producer_byte_rate": 1048576.0}
    assert cluster["quotas_after_remove"] is False
    assert cluster["elect_leaders"] == "ElectionNotNeededException"
    assert cluster["reassignments"] == 0

    unsupported = run["unsupported"]
    for api in ("describe_share_groups", "describe_streams_groups", "list_config_resources"):
        assert unsupported[api] == "UnsupportedVersionException", api
    assert unsupported["describe_delegation_token"] == "UnsupportedVersionException"
    assert unsupported["elapsed_ms"] < 5000
    # the client logs these at ERROR itself: DeleteRecords past the high watermark and
    # listOffsets of an unknown topic, which fail as asked
    assert_quiet(run, "unexpected error OFFSET_OUT_OF_RANGE", "unknown topic error")


def write_properties(path: Path, props: dict[str, str]) -> str:
    """A Java properties file (backslashes escaped); its path."""
    path.write_text("".join(f"{k}={v}\n".replace("\\", "\\\\") for k, v in props.items()))
    return str(path)


def test_tls_sasl_scram_and_acls(java, tmp_path):
    pki = make_pki(tmp_path / "pki")
    supers = "User:admin;User:alice;User:ANONYMOUS;User:dave;User:CN=alice,OU=eng,O=acme"
    b = secure_broker(
        tmp_path / "broker",
        pki,
        *authz_args(supers),
        *("--add-scram", "SCRAM-SHA-256=[name=carol,password=carol-secret]"),
    )
    try:
        # the Java client reads PEM keys only as PKCS#8
        key = serialization.load_pem_private_key(pki.client_key.read_bytes(), None)
        keystore = tmp_path / "client-keystore.pem"
        keystore.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            + pki.client_cert.read_bytes()
        )
        tls = {"ssl.truststore.type": "PEM", "ssl.truststore.location": str(pki.ca_pem)}

        def sasl(listener: str, mechanism: str, user: str, password: str) -> dict[str, str]:
            module = "plain.PlainLoginModule" if mechanism == "PLAIN" else "scram.ScramLoginModule"
            return {
                "bootstrap.servers": b.address(listener),
                "security.protocol": listener,
                "sasl.mechanism": mechanism,
                "sasl.jaas.config": f"org.apache.kafka.common.security.{module} required "
                f'username="{user}" password="{password}";',
                "x.user": user,
                "x.password": password,
                **(tls if listener == "SASL_SSL" else {}),
            }

        profiles = {
            "ssl": {"bootstrap.servers": b.address("SSL"), "security.protocol": "SSL", **tls},
            "mtls": {
                "bootstrap.servers": b.address("MTLS"),
                "security.protocol": "SSL",
                **tls,
                "ssl.keystore.type": "PEM",
                "ssl.keystore.location": str(keystore),
            },
            "plain": sasl("SASL_PLAINTEXT", "PLAIN", "admin", "admin-secret"),
            "plain_ssl": sasl("SASL_SSL", "PLAIN", "admin", "admin-secret"),
            "scram256_ssl": sasl("SASL_SSL", "SCRAM-SHA-256", "alice", "alice-secret"),
            "scram512": sasl("SASL_PLAINTEXT", "SCRAM-SHA-512", "alice", "alice-secret"),
            "bad_password": sasl("SASL_PLAINTEXT", "SCRAM-SHA-256", "alice", "wrong"),
            "dave": sasl("SASL_PLAINTEXT", "SCRAM-SHA-512", "dave", "dave-pw"),
            "carol": sasl("SASL_PLAINTEXT", "SCRAM-SHA-256", "carol", "carol-secret"),
        }
        f = {n: write_properties(tmp_path / f"{n}.properties", p) for n, p in profiles.items()}
        round_trips = [f"roundtrip:{f[n]}" for n in ("ssl", "mtls", "plain", "plain_ssl")]
        round_trips += [f"roundtrip:{f['scram256_ssl']}", f"roundtrip:{f['scram512']}"]
        scram = f"scram:{f['plain']}:{f['dave']}"
        acls = f"acls:{f['plain']}:{f['carol']}"
        bad = f"badauth:{f['bad_password']}"
        run = java.run("Secure", *round_trips, bad, scram, acls)
    finally:
        b.kill()

    for scenario in round_trips:
        assert run[scenario]["problems"] == [], scenario
    refused = run[bad]
    assert (refused["admin"], refused["producer"]) == ("SaslAuthenticationException",) * 2
    assert refused["elapsed_ms"] < 10_000  # refused at once, not retried to a timeout

    s = run[scram]
    assert s["both_in_one_request"] == "DuplicateResourceException"  # one change per user
    assert s["described"] == {"SCRAM-SHA-256": 8192, "SCRAM-SHA-512": 4096}
    assert s["listed"] is True and s["login_problems"] == []
    assert s["describe_deleted"] == "ResourceNotFoundException"
    assert s["after_delete"] == "SaslAuthenticationException"

    a = run[acls]
    assert (a["described"], a["described_match"], a["describe_topic_filter"]) == (2, True, 1)
    assert a["produce_allowed"] == 0
    assert a["produce_denied"] == "TopicAuthorizationException"
    assert len(a["user_sees"]) == 1 and a["user_sees"][0].endswith(".mine")  # only hers
    assert a["user_create_prefixed"] == "ok"
    assert a["user_describe_acls"] == "ClusterAuthorizationException"
    assert (a["deleted"], a["after_delete"]) == (2, 0)
    assert a["produce_after_delete"] == "TopicAuthorizationException"
