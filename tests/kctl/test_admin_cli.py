"""kctl topics / configs / cluster / log / completion against a real broker process."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from tests.harness import wait_for
from tests.kctl.kctl_cli import Kctl, closed_port, one_error_line


@pytest.fixture
def kctl(shared_broker, tmp_path) -> Kctl:
    return Kctl(tmp_path, bootstrap=shared_broker.bootstrap)


def name(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create(kctl: Kctl, topic: str, *args: str) -> None:
    r = kctl.run("topics", "create", topic, *args)
    assert r.returncode == 0, r.stderr


def topics_json(kctl: Kctl, *args: str) -> dict[str, dict]:
    r = kctl.run("topics", "list", "-o", "json", *args)
    assert r.returncode == 0, r.stderr
    return {t["topic"]: t for t in json.loads(r.stdout)}


def produce(bootstrap: str, topic: str, partition: int, count: int) -> None:
    p = Producer({"bootstrap.servers": bootstrap})
    for i in range(count):
        p.produce(topic, value=f"v{i}".encode(), partition=partition)
    assert p.flush(30) == 0


def test_create_list_in_every_format(kctl):
    topic = name()
    r = kctl.run("topics", "create", topic, "-p", "3", "-r", "1")
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"created topic {topic}\n"
    assert topics_json(kctl)[topic] == {
        "topic": topic, "partitions": 3, "replication_factor": 1, "internal": False}

    table = kctl.run("topics", "list").stdout.splitlines()
    assert table[0].split() == ["TOPIC", "PARTITIONS", "REPLICATION", "FACTOR"]
    assert any(line.split() == [topic, "3", "1"] for line in table[1:])

    lines = [json.loads(x) for x in kctl.run("topics", "list", "-o", "jsonl").stdout.splitlines()]
    assert {"topic": topic, "partitions": 3, "replication_factor": 1,
            "internal": False} in lines

    yaml = kctl.run("-o", "yaml", "topics", "list").stdout
    assert f"- topic: {topic}\n  partitions: 3\n  replication_factor: 1\n" in yaml


def test_only_kafkas_internal_topics_are_hidden(kctl, shared_broker):
    mine = "__" + name()  # a user's topic may start with "__" too
    create(kctl, mine)
    c = Consumer({"bootstrap.servers": shared_broker.bootstrap, "group.id": name()})
    try:  # a commit makes sure __consumer_offsets exists
        c.commit(offsets=[TopicPartition(mine, 0, 0)], asynchronous=False)
    finally:
        c.close()
    listed = topics_json(kctl)
    assert listed[mine]["internal"] is False and "__consumer_offsets" not in listed
    assert topics_json(kctl, "--internal")["__consumer_offsets"]["internal"] is True


def test_create_errors_and_if_not_exists(kctl):
    topic = name()
    create(kctl, topic)
    r = kctl.run("topics", "create", topic)
    assert r.returncode == 1
    assert "already exists (use --if-not-exists" in one_error_line(r)
    r = kctl.run("topics", "create", topic, "--if-not-exists", "-o", "json")
    assert r.returncode == 0
    assert json.loads(r.stdout) == [{"topic": topic, "status": "exists", "error": None}]
    # One new and one existing topic: the new one is created, the run is a partial failure.
    fresh = name()
    r = kctl.run("topics", "create", topic, fresh)
    assert r.returncode == 3
    assert fresh in topics_json(kctl)


def test_describe_partitions_with_offsets(kctl, shared_broker):
    topic = name()
    create(kctl, topic, "-p", "2")
    produce(shared_broker.bootstrap, topic, 1, 5)
    r = kctl.run("topics", "describe", topic, "-o", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [(x["partition"], x["log_start_offset"], x["log_end_offset"], x["records"])
            for x in rows] == [(0, 0, 0, 0), (1, 0, 5, 5)]
    for x in rows:
        assert x["topic"] == topic and x["leader"] is not None
        assert x["replicas"] == x["isr"] == [x["leader"]]
    # A healthy single-broker topic has nothing under-replicated or unavailable.
    r = kctl.run("topics", "describe", topic, "--under-replicated", "-o", "json")
    assert json.loads(r.stdout) == []
    r = kctl.run("topics", "describe", topic, "--unavailable", "-o", "json")
    assert json.loads(r.stdout) == []
    table = kctl.run("topics", "describe", topic).stdout.splitlines()
    assert table[0].split()[:5] == ["TOPIC", "PARTITION", "LEADER", "REPLICAS", "ISR"]


def test_invalid_create_requests_exit_7(kctl):
    for args in (["bad name!"], [name(), "-c", "no.such.config=1"], [name(), "-r", "9"]):
        r = kctl.run("topics", "create", *args)
        assert r.returncode == 7, r.stderr
        assert "cannot create topic" in one_error_line(r)


def test_describe_missing_topic_exit_4(kctl):
    r = kctl.run("topics", "describe", "no-such-topic-x")
    assert r.returncode == 4
    assert one_error_line(r) == "kctl: error: topic(s) not found: no-such-topic-x"


def test_delete_plans_then_needs_yes(kctl):
    topic = name()
    create(kctl, topic, "-p", "2")
    # In a script without --yes the plan is the output (stdout), nothing is deleted, exit 2.
    r = kctl.run("topics", "delete", topic)
    assert r.returncode == 2
    assert r.stdout.split() == ["TOPIC", "PARTITIONS", "RECORDS", topic, "2", "0"]
    assert "re-run with --yes" in one_error_line(r)
    assert topic in topics_json(kctl)
    # With --yes stdout is only the result.
    r = kctl.run("topics", "delete", topic, "--yes", "-o", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [{"topic": topic, "status": "deleted", "error": None}]
    wait_for(lambda: topic not in topics_json(kctl), 10, what="topic to disappear")
    r = kctl.run("topics", "delete", topic, "--yes")
    assert r.returncode == 4
    assert kctl.run("topics", "delete", topic, "--yes", "--if-exists").returncode == 0
    # nothing to delete is still a document a script can parse
    r = kctl.run("topics", "delete", topic, "--yes", "--if-exists", "-o", "json")
    assert r.returncode == 0 and json.loads(r.stdout) == [] and "nothing to delete" in r.stderr


def test_add_partitions(kctl):
    topic = name()
    create(kctl, topic, "-p", "1")
    r = kctl.run("topics", "add-partitions", topic, "--total", "4")
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"grew topic {topic} from 1 to 4 partitions\n"
    assert topics_json(kctl)[topic]["partitions"] == 4
    r = kctl.run("topics", "add-partitions", topic, "--total", "2")
    assert r.returncode == 7
    assert "already has 4 partitions" in one_error_line(r)
    # kafka-topics.sh's spelling: --alter --partitions N
    r = kctl.run("topics", "alter", topic, "--partitions", "6")
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"grew topic {topic} from 4 to 6 partitions\n"
    assert topics_json(kctl)[topic]["partitions"] == 6
    r = kctl.run("topics", "alter", topic, "--partitions", "8", "--set", "retention.ms=1000")
    assert r.returncode == 2 and "another command" in one_error_line(r)
    assert topics_json(kctl)[topic]["partitions"] == 6


def configs(kctl: Kctl, topic: str) -> dict[str, dict]:
    r = kctl.run("configs", "describe", "--topic", topic, "-o", "json")
    assert r.returncode == 0, r.stderr
    return {c["name"]: c for c in json.loads(r.stdout)}


def test_topic_config_alter_dry_run_then_apply(kctl):
    topic = name()
    create(kctl, topic, "-c", "retention.ms=86400000")
    assert configs(kctl, topic)["retention.ms"]["value"] == "86400000"

    r = kctl.run("topics", "alter", topic, "--set", "retention.ms=3600000", "--dry-run",
                 "-o", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [{"name": "retention.ms", "op": "set",
                                     "current": "86400000", "new": "3600000",
                                     "applied": False}]
    assert configs(kctl, topic)["retention.ms"]["value"] == "86400000"

    r = kctl.run("configs", "alter", "-t", topic, "--set", "retention.ms=3600000")
    assert r.returncode == 0, r.stderr
    assert "86400000" in r.stdout and "3600000" in r.stdout
    after_set = configs(kctl, topic)["retention.ms"]
    assert (after_set["value"], after_set["source"]) == ("3600000", "DYNAMIC_TOPIC_CONFIG")

    r = kctl.run("configs", "alter", "-t", topic, "--delete", "retention.ms")
    assert r.returncode == 0, r.stderr
    after = configs(kctl, topic)["retention.ms"]
    assert after["default"] is True or after["value"] != "3600000"


def test_changed_filter_and_invalid_value(kctl):
    topic = name()
    create(kctl, topic, "-c", "cleanup.policy=compact")
    r = kctl.run("configs", "describe", "-t", topic, "--changed", "-o", "json")
    changed = {c["name"]: c["value"] for c in json.loads(r.stdout)}
    assert changed.get("cleanup.policy") == "compact"
    assert all(not c["default"] for c in json.loads(r.stdout))
    r = kctl.run("configs", "alter", "-t", topic, "--set", "retention.ms=not-a-number")
    assert r.returncode == 7
    one_error_line(r)


def test_configs_need_exactly_one_target(kctl):
    r = kctl.run("configs", "describe")
    assert r.returncode == 2
    assert "exactly one of TOPIC (or --topic), --broker, --group and --broker-logger" in (
        one_error_line(r)
    )


def test_broker_configs(kctl):
    info = json.loads(kctl.run("cluster", "info", "-o", "json").stdout)
    node = info["brokers"][0]["node_id"]
    r = kctl.run("configs", "describe", "--broker", str(node), "-o", "json")
    assert r.returncode == 0, r.stderr
    assert isinstance(json.loads(r.stdout), list)


def test_broker_logger_levels(kctl):
    def level(logger: str) -> str:
        r = kctl.run("configs", "describe", "--broker-logger", "1", "-o", "json")
        assert r.returncode == 0, r.stderr
        rows = {row["name"]: row for row in json.loads(r.stdout)}
        assert rows["root"]["source"] == "DYNAMIC_BROKER_LOGGER_CONFIG"
        return rows[logger]["value"]

    alter = ("configs", "alter", "--broker-logger", "1")
    assert level("broker.authorizer") == "INFO"
    r = kctl.run(*alter, "--set", "broker.authorizer=WARN", "--dry-run", "-o", "json")
    assert json.loads(r.stdout) == [{"name": "broker.authorizer", "op": "set", "current": "INFO",
                                     "new": "WARN", "applied": False}]
    assert level("broker.authorizer") == "INFO"
    assert kctl.run(*alter, "--set", "broker.authorizer=WARN").returncode == 0
    assert level("broker.authorizer") == "WARN"
    assert kctl.run(*alter, "--delete", "broker.authorizer").returncode == 0
    assert level("broker.authorizer") == "INFO"  # inherited from root again

    r = kctl.run(*alter, "--set", "no.such.logger=DEBUG")
    assert r.returncode == 7 and "INVALID_CONFIG" in one_error_line(r)
    r = kctl.run(*alter, "--append", "broker=DEBUG")
    assert r.returncode == 2 and "only set or deleted" in one_error_line(r)
    r = kctl.run("configs", "describe", "--broker-logger", "9")
    assert r.returncode == 4 and "broker 9 does not exist" in one_error_line(r)


def test_cluster_info_and_health(kctl, shared_broker):
    r = kctl.run("cluster", "info", "-o", "json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert len(info["brokers"]) == 1
    broker = info["brokers"][0]
    assert f"{broker['host']}:{broker['port']}" == shared_broker.bootstrap
    assert info["controller_id"] == broker["node_id"] and broker["controller"] is True
    assert info["offline_partitions"] == [] and info["under_replicated_partitions"] == []
    assert isinstance(info["cluster_id"], str) and info["cluster_id"]

    r = kctl.run("cluster", "health", "-o", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["healthy"] is True
    assert [c["check"] for c in doc["checks"]] == [
        "brokers", "controller", "offline_partitions", "under_replicated_partitions"]
    table = kctl.run("cluster", "info").stdout
    assert "cluster id" in table and shared_broker.bootstrap.split(":")[1] in table


def test_health_of_unreachable_cluster_exit_5(kctl):
    r = kctl.run("cluster", "health", "-b", f"127.0.0.1:{closed_port()}")
    assert r.returncode == 5
    one_error_line(r)


class SegmentsAPI(BaseHTTPRequestHandler):
    """The broker's admin endpoint contract for `kctl log segments`."""

    topic = ""

    def do_GET(self) -> None:
        prefix = f"/v1/partitions/{self.topic}/"
        if self.path.startswith(prefix) and self.path.endswith("/segments"):
            p = int(self.path[len(prefix):].split("/")[0])
            if p < 2:
                body = json.dumps([
                    {"base_offset": 0, "next_offset": 10, "size_bytes": 1000 + p},
                    {"base_offset": 10, "next_offset": 12, "size_bytes": 200, "active": True},
                ]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
        self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def segments_api():
    topic = name("seg")
    handler = type("Handler", (SegmentsAPI,), {"topic": topic})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield topic, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_log_segments(kctl, segments_api):
    topic, url = segments_api
    create(kctl, topic, "-p", "2")
    r = kctl.run("log", "segments", f"{topic}:1", "--admin-url", url, "-o", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [
        {"topic": topic, "partition": 1, "base_offset": 0, "next_offset": 10,
         "size_bytes": 1001},
        {"topic": topic, "partition": 1, "base_offset": 10, "next_offset": 12,
         "size_bytes": 200, "active": True},
    ]
    r = kctl.run("log", "segments", topic, "-o", "jsonl", KCTL_ADMIN_URL=url)
    assert [json.loads(x)["partition"] for x in r.stdout.splitlines()] == [0, 0, 1, 1]
    table = kctl.run("log", "segments", topic, "--admin-url", url).stdout.splitlines()
    assert table[0].split() == ["TOPIC", "PARTITION", "BASE", "OFFSET", "NEXT", "OFFSET",
                                "SIZE", "BYTES", "ACTIVE"]
    r = kctl.run("log", "segments", f"{topic}:7", "--admin-url", url)
    assert r.returncode == 4


def test_log_segments_without_admin_api(kctl):
    topic = name()
    create(kctl, topic)
    r = kctl.run("log", "segments", f"{topic}:0", "--admin-url", f"127.0.0.1:{closed_port()}")
    assert r.returncode == 5
    assert "admin API at http://127.0.0.1:" in one_error_line(r)


def test_completion_offers_topics_from_the_cluster(kctl, shared_broker):
    topic = name("compl")
    create(kctl, topic)
    for words in (
        f"kctl topics describe {topic[:8]}",
        f"kctl consume {topic[:8]}",
        f"kctl produce {topic[:8]}",
        f"kctl produce -t {topic[:8]}",
    ):
        r = kctl.run(COMP_WORDS=words, COMP_CWORD=str(len(words.split()) - 1),
                     _KCTL_COMPLETE="complete_bash")
        assert r.returncode == 0
        assert topic in r.stdout.split(), words
    # The bootstrap typed on the command line is the one asked.
    r = kctl.run(COMP_WORDS=f"kctl -b 127.0.0.1:{closed_port()} topics describe c",
                 COMP_CWORD="5", _KCTL_COMPLETE="complete_bash")
    assert r.returncode == 0 and r.stdout.strip() == "" and r.stderr == ""
