"""The admin HTTP endpoint against the real broker: health, metrics, segments JSON, kctl."""

from __future__ import annotations

import itertools
import json
import urllib.error
import urllib.request

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from prometheus_client.parser import text_string_to_metric_families

from broker.admin_http.exposition import api_name
from broker.admin_http.server import is_loopback, parse_admin_listen
from broker.metrics import Histogram
from tests.harness import BrokerProcess, free_port, wait_for
from tests.kctl.kctl_cli import Kctl

SEGMENT_FIELDS = {
    "base_offset",
    "next_offset",
    "size_bytes",
    "first_timestamp",
    "max_timestamp",
    "created_ms",
    "last_modified_ms",
    "active",
    "cleaned",
}


@pytest.fixture(scope="module")
def admin_broker(tmp_path_factory):
    port = free_port()
    b = BrokerProcess(
        tmp_path_factory.mktemp("admin") / "broker",
        extra_args=["--set", f"admin.listen=127.0.0.1:{port}"],
    ).start()
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: get(url, "/readyz")[0] == 200, what="/readyz")
    yield b, url
    b.kill()


def get(url: str, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url + path, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    """Every sample of /metrics by (name, sorted labels)."""
    status, body = get(url, "/metrics")
    assert status == 200
    out = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def create(bs: str, topic: str, partitions: int = 1, **config: str) -> None:
    admin = AdminClient({"bootstrap.servers": bs})
    admin.create_topics([NewTopic(topic, partitions, 1, config=config)])[topic].result(15)


def produce(bs: str, topic: str, n: int, size: int = 100) -> None:
    p = Producer({"bootstrap.servers": bs, "linger.ms": 5, "batch.size": 800})
    for i in range(n):
        p.produce(topic, value=b"%06d" % i + b"x" * (size - 6), partition=0)
    assert p.flush(30) == 0


def test_listen_parsing_never_defaults_to_a_public_address():
    assert parse_admin_listen("127.0.0.1:9644") == ("127.0.0.1", 9644)
    assert parse_admin_listen(":9644") == ("127.0.0.1", 9644)
    assert parse_admin_listen("[::1]:9644") == ("::1", 9644)
    for bad in ("9644", "host:", "host:x", "h:70000"):
        with pytest.raises(ValueError):
            parse_admin_listen(bad)
    assert is_loopback("127.0.0.2") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.1.2.3")


def test_histogram_buckets_are_cumulative():
    h = Histogram(bounds=(0.01, 0.1))
    for v in (0.005, 0.01, 0.05, 3.0):
        h.observe(v)
    assert h.cumulative() == [(0.01, 2), (0.1, 3), (float("inf"), 4)]
    assert h.count == 4 and h.total == pytest.approx(3.065)
    assert api_name(0) == "Produce" and api_name(2) == "ListOffsets" and api_name(9999) == "9999"


def test_health_and_readiness(admin_broker):
    _, url = admin_broker
    assert get(url, "/healthz") == (200, b"ok\n")
    assert get(url, "/readyz") == (200, b"ready\n")
    assert get(url, "/nope")[0] == 404


def test_metrics_move_with_traffic(admin_broker):
    b, url = admin_broker
    topic = "metrics-traffic"
    create(b.bootstrap, topic)
    before = scrape(url)
    produce(b.bootstrap, topic, 200)
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "m", "enable.auto.commit": False})
    try:
        c.assign([TopicPartition(topic, 0, 0)])
        got = 0
        while got < 200:
            msg = c.poll(5)
            assert msg is not None and msg.error() is None
            got += 1
        during = scrape(url)
    finally:
        c.close()
    after = scrape(url)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta("kctl_requests_total", api="Produce") >= 1
    assert delta("kctl_requests_total", api="Fetch") >= 1
    assert delta("kctl_network_in_bytes_total") > 200 * 100
    assert delta("kctl_network_out_bytes_total") > 200 * 100
    assert delta("kctl_produced_bytes_total") > 200 * 100
    assert delta("kctl_request_latency_seconds_count", api="Produce") >= 1
    assert delta("kctl_request_latency_seconds_count", api="Fetch") >= 1
    inf = after[("kctl_request_latency_seconds_bucket", (("api", "Produce"), ("le", "+Inf")))]
    assert inf == after[("kctl_request_latency_seconds_count", (("api", "Produce"),))]
    labels = (("partition", "0"), ("topic", topic))
    assert after[("kctl_log_size_bytes", labels)] > 200 * 100
    assert after[("kctl_log_end_offset", labels)] == 200
    assert after[("kctl_log_start_offset", labels)] == 0
    assert after[("kctl_partitions", ())] >= 1
    assert during[("kctl_connections", ())] >= 1
    assert ("kctl_retention_passes_total", ()) in after
    assert ("kctl_cleaner_passes_total", ()) in after  # the cleaner is on by default


def test_fetch_session_gauges(admin_broker):
    from tests.fetch_session_wire import fetch_request
    from tests.wire import WireClient

    b, url = admin_broker
    topic = "metrics-sessions"
    create(b.bootstrap, topic)
    before = scrape(url)
    with WireClient(b.bootstrap) as c:
        resp = c.request(fetch_request(12, 0, 0, [(topic, 0, 0)]))  # epoch 0 opens one
        assert resp.session_id != 0
        after = scrape(url)
    for name in ("kctl_fetch_sessions", "kctl_fetch_session_partitions"):
        assert after[(name, ())] == before[(name, ())] + 1, name
    assert ("kctl_fetch_session_evictions_total", ()) in after


def test_segments_json_and_partitions(admin_broker):
    b, url = admin_broker
    topic = "segments-json"
    create(b.bootstrap, topic, 2, **{"segment.bytes": "2048"})
    produce(b.bootstrap, topic, 100)
    status, body = get(url, f"/v1/partitions/{topic}/0/segments")
    assert status == 200
    data = json.loads(body)
    assert data["topic"] == topic and data["partition"] == 0 and data["log_start_offset"] == 0
    segs = data["segments"]
    assert len(segs) > 2
    assert all(set(s) == SEGMENT_FIELDS for s in segs)
    assert [s["active"] for s in segs] == [False] * (len(segs) - 1) + [True]
    assert segs[0]["base_offset"] == 0 and segs[-1]["next_offset"] == 100
    for a, z in itertools.pairwise(segs):
        assert a["next_offset"] == z["base_offset"]
    assert all(s["size_bytes"] <= 2048 for s in segs)
    assert all(s["max_timestamp"] > 0 and s["cleaned"] is False for s in segs)

    assert get(url, f"/v1/partitions/{topic}/7/segments")[0] == 404
    assert get(url, "/v1/partitions/nope/0/segments")[0] == 404
    assert get(url, f"/v1/partitions/{topic}/x/segments")[0] == 400

    rows = json.loads(get(url, "/v1/partitions")[1])["partitions"]
    mine = {r["partition"]: r for r in rows if r["topic"] == topic}
    assert set(mine) == {0, 1}
    assert mine[0]["log_end_offset"] == mine[0]["high_watermark"] == 100
    assert mine[0]["segments"] == len(segs)
    assert mine[0]["size_bytes"] == sum(s["size_bytes"] for s in segs)


def test_kctl_log_segments(admin_broker, tmp_path):
    b, url = admin_broker
    topic = "segments-kctl"
    create(b.bootstrap, topic, **{"segment.bytes": "2048"})
    produce(b.bootstrap, topic, 60)
    kctl = Kctl(tmp_path, bootstrap=b.bootstrap)
    r = kctl.run("log", "segments", f"{topic}:0", "--admin-url", url, "-o", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    expected = json.loads(get(url, f"/v1/partitions/{topic}/0/segments")[1])["segments"]
    assert [row["base_offset"] for row in rows] == [s["base_offset"] for s in expected]
    assert all(row["topic"] == topic and row["partition"] == 0 for row in rows)
    assert rows[-1]["active"] is True and rows[-1]["next_offset"] == 60
    r = kctl.run("log", "segments", f"{topic}:3", "--admin-url", url)
    assert r.returncode != 0 and "404" in r.stderr


def test_no_admin_endpoint_unless_configured(broker):
    # The default broker serves Kafka only: nothing is bound for HTTP.
    assert "admin endpoint" not in broker.log()
