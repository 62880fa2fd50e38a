"""Consumer group failure scenarios with the real broker and real confluent-kafka processes.

A member is SIGKILLed mid-stream (no LeaveGroup): the coordinator must notice through the
session timeout and move its partitions, while records keep arriving. Committed offsets are
sampled the whole time through OffsetFetch and must never go backwards, and every produced
record must be processed at least once. Members are subprocesses so one can really be killed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field

from tests.harness import wait_for

PARTITIONS = 6
SESSION_MS = 6000

MEMBER = r"""
import json, sys
from confluent_kafka import Consumer

bootstrap, group, topic, session_ms = sys.argv[1:5]
c = Consumer({
    "bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
    "enable.auto.commit": False, "session.timeout.ms": int(session_ms),
    "heartbeat.interval.ms": 500,
})
owned = set()

def say(**kw):
    print(json.dumps(kw), flush=True)

def on_assign(_c, parts):
    owned.clear()
    owned.update(p.partition for p in parts)
    say(owned=sorted(owned))

def on_revoke(_c, parts):
    owned.clear()
    say(owned=[])

c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
while True:
    m = c.poll(0.1)
    if m is None or m.error():
        continue
    say(processed=[m.partition(), m.offset()])
    try:
        c.commit(m, asynchronous=False)  # at least once: commit after processing
    except Exception as e:  # a commit refused by a rebalance is retried by redelivery
        say(commit_error=str(e))
"""


@dataclass
class MemberProcess:
    """A consumer subprocess reporting its assignment and what it processed as JSON lines."""

    proc: subprocess.Popen
    owned: frozenset[int] = frozenset()
    processed: set[tuple[int, int]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def start(cls, script: str, bootstrap: str, group: str, topic: str) -> MemberProcess:
        proc = subprocess.Popen(
            [sys.executable, script, bootstrap, group, topic, str(SESSION_MS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        member = cls(proc)
        threading.Thread(target=member._read, daemon=True).start()
        return member

    def _read(self) -> None:
        for line in self.proc.stdout:  # type: ignore[union-attr]
            event = json.loads(line)
            with self.lock:
                if "owned" in event:
                    self.owned = frozenset(event["owned"])
                elif "processed" in event:
                    self.processed.add(tuple(event["processed"]))

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)


def disjoint_cover(members: list[MemberProcess]) -> bool:
    owned = [m.owned for m in members]
    return all(owned) and sorted(p for o in owned for p in o) == list(range(PARTITIONS))


class CommitSampler(threading.Thread):
    """Polls the group's committed offsets; records any that went backwards."""

    def __init__(self, bootstrap: str, group: str, topic: str) -> None:
        super().__init__(daemon=True)
        from confluent_kafka import Consumer

        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
        self.topic = topic
        self.last: dict[int, int] = {}
        self.regressions: list[tuple[int, int, int]] = []
        self.samples = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        from confluent_kafka import TopicPartition

        tps = [TopicPartition(self.topic, p) for p in range(PARTITIONS)]
        while not self.stopping.is_set():
            try:
                committed = self.consumer.committed(tps, timeout=5)
            except Exception:
                continue
            for tp in committed:
                if tp.offset < 0:
                    continue
                before = self.last.get(tp.partition, -1)
                if tp.offset < before:
                    self.regressions.append((tp.partition, before, tp.offset))
                self.last[tp.partition] = max(before, tp.offset)
            self.samples += 1
            self.stopping.wait(0.1)

    def stop(self) -> None:
        self.stopping.set()
        if self.is_alive():
            self.join(10)
        self.consumer.close()


class SteadyProducer(threading.Thread):
    """Produces to every partition until stopped; remembers each acknowledged offset."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        super().__init__(daemon=True)
        from confluent_kafka import Producer

        self.producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
        self.topic = topic
        self.acked: set[tuple[int, int]] = set()
        self.errors: list[str] = []
        self.stopping = threading.Event()

    def _delivered(self, err, msg) -> None:
        if err is not None:
            self.errors.append(str(err))
        else:
            self.acked.add((msg.partition(), msg.offset()))

    def run(self) -> None:
        i = 0
        while not self.stopping.is_set():
            for p in range(PARTITIONS):
                self.producer.produce(
                    self.topic, value=str(i).encode(), partition=p, on_delivery=self._delivered
                )
            i += 1
            self.producer.poll(0)
            self.stopping.wait(0.02)
        self.producer.flush(30)

    def stop(self) -> None:
        self.stopping.set()
        self.join(30)


def test_killed_member_partitions_move_and_nothing_is_lost(broker, tmp_path, capsys):
    from confluent_kafka.admin import AdminClient, NewTopic

    bs = broker.bootstrap
    topic, group = f"kill-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bs})
    admin.create_topics([NewTopic(topic, PARTITIONS, 1)])[topic].result(30)
    script = tmp_path / "member.py"
    script.write_text(MEMBER)

    producer = SteadyProducer(bs, topic)
    sampler = CommitSampler(bs, group, topic)
    members = [MemberProcess.start(str(script), bs, group, topic) for _ in range(3)]
    try:
        producer.start()
        wait_for(lambda: disjoint_cover(members), 30, what="3 members own every partition once")
        sampler.start()
        victim, survivors = members[0], members[1:]
        wait_for(lambda: victim.processed, 30, what="the victim to process something")
        orphaned = victim.owned
        victim.kill()
        killed_at = time.monotonic()
        wait_for(
            lambda: disjoint_cover(survivors),
            SESSION_MS / 1000 + 20,
            what="the killed member's partitions to move",
        )
        moved_s = time.monotonic() - killed_at
        # The coordinator waited for the session timeout: librdkafka heartbeats every 500 ms,
        # so a survivor cannot have taken over much earlier than that.
        assert moved_s >= SESSION_MS / 1000 - 1.5
        assert orphaned <= survivors[0].owned | survivors[1].owned
        producer.stop()
        assert not producer.errors
        processed = lambda: set().union(*(m.processed for m in members))  # noqa: E731
        wait_for(
            lambda: producer.acked <= processed(),
            30,
            what="every produced record to be processed at least once",
        )
        ends = {p: 1 + max(o for q, o in producer.acked if q == p) for p in range(PARTITIONS)}
        wait_for(lambda: sampler.last == ends, 30, what="commits to reach the log ends")
    finally:
        for m in members:
            if m.proc.poll() is None:
                m.kill()
        sampler.stop()
        if producer.is_alive():
            producer.stop()
    assert sampler.samples > 10
    assert sampler.regressions == [], "a committed offset went backwards"
    with capsys.disabled():
        print(f"\n[groups] killed member's partitions moved after {moved_s:.1f} s")
