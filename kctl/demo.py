"""The first-run demo: a local broker if none answers, sample topics, live traffic, lag.

``with Demo(settings) as demo:`` makes sure something answers on the bootstrap address
(starting ``python -m broker`` as a child process when nothing does and the address is on this
machine), creates the sample topics, and runs in background threads:

* a producer of keyed JSON events (food-delivery orders and payments, user signups with
  user_id/user_name/user_address/platform/signup_at, driver locations) whose rate swells and
  ebbs, so throughput changes visibly;
* the consumer group ``order-analytics`` on orders and payments, which alternates slow and
  fast phases, so its lag grows and then catches up; and ``signup-mailer`` on user-signups,
  which keeps up.

A broker the demo starts also serves its admin HTTP endpoint (``admin_url``), so the
dashboard shows segments. Leaving the block stops the threads and the broker *only if the
demo started it* (and removes its temporary data directory). The broker child also dies with
this process (Linux parent-death signal), so even a killed demo leaves nothing running.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import NewTopic

from kctl.client import Cluster, split_bootstrap
from kctl.console import ExitCode, KctlError
from kctl.options import Settings

# topic -> partitions
TOPICS = {"orders": 3, "payments": 3, "user-signups": 2, "driver-location": 4}
LAGGING_GROUP, STEADY_GROUP = "order-analytics", "signup-mailer"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}
PHASE_S = 20.0  # the lagging consumer is slow for one phase, then fast for the next
# Small segments and a size limit, so that within minutes segments roll and retention deletes
# the oldest ones (the log start offset moves) while the dashboard watches.
DEMO_BROKER_CONFIG = {
    "log.segment.bytes": "16384",
    "log.retention.bytes": "65536",
    "log.retention.check.interval.ms": "5000",
}

FIRST = ["ana", "bo", "chen", "dara", "eli", "fatima", "goran", "hana", "ivo", "jun", "kemal",
         "lea", "mika", "noor", "oscar", "priya"]
STREETS = ["Harbour St", "Mill Lane", "Oak Ave", "Station Rd", "Canal Walk", "Hill Crescent"]
RESTAURANTS = ["Pho Corner", "Luigi's", "Taco Norte", "Green Bowl", "Sushi Ko", "Curry House"]
PLATFORMS = ["ios", "android", "web"]


def _reachable(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        socket.create_connection((host, port), timeout).close()
        return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    # Runs in the child before exec: ask Linux to SIGTERM it when the demo process dies.
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class EventFactory:
    """Sample events for the seed topics; deterministic for a given seed."""

    rng: random.Random = field(default_factory=lambda: random.Random(7))
    order_id: int = 1000
    user_id: int = 100

    def order(self) -> tuple[str, str, dict]:
        self.order_id += 1
        user = f"user-{self.rng.randint(100, 160)}"
        total = round(self.rng.uniform(8, 60), 2)
        return "orders", user, {
            "order_id": f"o-{self.order_id}", "user_id": user,
            "restaurant": self.rng.choice(RESTAURANTS), "items": self.rng.randint(1, 5),
            "total": total, "status": "placed", "placed_at": _now_iso(),
        }

    def payment(self, order: dict) -> tuple[str, str, dict]:
        return "payments", order["order_id"], {
            "payment_id": f"p-{order['order_id'][2:]}", "order_id": order["order_id"],
            "amount": order["total"], "method": self.rng.choice(["card", "wallet", "cash"]),
            "status": "authorized",
        }

    def signup(self) -> tuple[str, str, dict]:
        self.user_id += 1
        name = self.rng.choice(FIRST)
        user = f"user-{self.user_id}"
        return "user-signups", user, {
            "user_id": user, "user_name": f"{name}{self.user_id}",
            "user_address": f"{self.rng.randint(1, 200)} {self.rng.choice(STREETS)}",
            "platform": self.rng.choice(PLATFORMS), "signup_at": _now_iso(),
        }

    def location(self) -> tuple[str, str, dict]:
        driver = f"driver-{self.rng.randint(1, 12)}"
        return "driver-location", driver, {
            "driver_id": driver, "lat": round(52.37 + self.rng.uniform(-0.05, 0.05), 5),
            "lon": round(4.89 + self.rng.uniform(-0.05, 0.05), 5), "at": _now_iso(),
        }


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Demo:
    """A context manager: broker (if needed) + topics + traffic; everything stopped on exit."""

    def __init__(
        self,
        settings: Settings,
        *,
        data_dir: Path | None = None,
        status: Callable[[str], object] = print,
        rate: float = 20.0,
        phase_s: float = PHASE_S,
    ) -> None:
        self.settings = settings
        self.cluster = Cluster(settings)
        self.data_dir = data_dir
        self.status = status
        self.rate = rate  # mean events per second across topics
        self.phase_s = phase_s
        self.broker: subprocess.Popen | None = None
        # The started broker's admin HTTP endpoint (segments for the dashboard); None when the
        # demo uses a broker it did not start (its admin address is unknown).
        self.admin_url: str | None = None
        self._temp_dir: Path | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.produced = 0
        self.consumed: dict[str, int] = {LAGGING_GROUP: 0, STEADY_GROUP: 0}

    @property
    def started_broker(self) -> bool:
        return self.broker is not None

    def __enter__(self) -> Demo:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        host, port = split_bootstrap(self.settings.bootstrap)[0]
        if _reachable(host, port):
            self.status(f"Using the broker already running at {host}:{port}.")
        else:
            self._start_broker(host, port)
        self._create_topics()
        for target, name in ((self._produce_loop, "demo-producer"),
                             (self._consume_loop, "demo-consumer-lagging"),
                             (self._steady_loop, "demo-consumer-steady")):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)

    def _start_broker(self, host: str, port: int) -> None:
        if host not in LOCAL_HOSTS:
            raise KctlError(f"nothing answers at {host}:{port}, and the demo starts a broker "
                            "only on this machine (use -b 127.0.0.1:PORT)", ExitCode.UNREACHABLE)
        if self.data_dir is None:
            self._temp_dir = Path(tempfile.mkdtemp(prefix="kctl-demo-"))
            data = self._temp_dir / "data"
        else:
            data = self.data_dir
        data.mkdir(parents=True, exist_ok=True)
        log_path = data.parent / "demo-broker.log"
        listen = f"{'127.0.0.1' if host == 'localhost' else host}:{port}"
        self.status(f"Starting a local broker on {listen} (data in {data}, log {log_path})…")
        admin = f"127.0.0.1:{_free_port()}"
        with open(log_path, "ab") as log:
            self.broker = subprocess.Popen(
                [sys.executable, "-m", "broker", "--listen", listen, "--data-dir", str(data),
                 "--set", f"admin.listen={admin}",
                 *(arg for k, v in DEMO_BROKER_CONFIG.items() for arg in ("--set", f"{k}={v}"))],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                # Own session: the terminal's Ctrl-C reaches the demo, which stops it in order.
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        deadline = time.monotonic() + 30
        while not _reachable(host, port, 0.2):
            if self.broker.poll() is not None:
                raise KctlError(f"the demo broker exited with {self.broker.returncode}; "
                                f"see {log_path}", ExitCode.ERROR)
            if time.monotonic() > deadline:
                raise KctlError(f"the demo broker did not listen on {listen} within 30 s; "
                                f"see {log_path}", ExitCode.ERROR)
            time.sleep(0.1)
        self.admin_url = f"http://{admin}"

    def _create_topics(self) -> None:
        admin = self.cluster.admin()
        new = [NewTopic(name, parts, 1) for name, parts in TOPICS.items()]
        for name, fut in admin.create_topics(new, request_timeout=10).items():
            try:
                fut.result(15)
            except KafkaException as e:
                err = e.args[0] if e.args else None
                if not (isinstance(err, KafkaError)
                        and err.code() == KafkaError.TOPIC_ALREADY_EXISTS):
                    raise KctlError(f"demo: cannot create topic {name}: {e}") from e
        self.status("Topics: " + ", ".join(f"{n} ({p} partitions)" for n, p in TOPICS.items()))

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(10)
        self._threads.clear()
        if self.broker is not None:
            broker, self.broker = self.broker, None
            if broker.poll() is None:
                broker.terminate()
                try:
                    broker.wait(15)
                except subprocess.TimeoutExpired:
                    broker.kill()
                    broker.wait(5)
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    # --- traffic ---------------------------------------------------------------------

    def _produce_loop(self) -> None:
        events = EventFactory()
        producer = self.cluster.producer(**{"linger.ms": 20})
        tick, started = 0.1, time.monotonic()
        budget = 0.0
        try:
            while not self._stop.wait(tick):
                # The rate swells and ebbs over a minute, so msgs/s visibly moves.
                phase = (time.monotonic() - started) / 60 * 2 * math.pi
                budget += self.rate * (1 + 0.6 * math.sin(phase)) * tick
                while budget >= 1:
                    budget -= 1
                    self._emit(producer, events)
                producer.poll(0)
        finally:
            producer.flush(5)

    def _emit(self, producer, events: EventFactory) -> None:
        roll = events.rng.random()
        if roll < 0.35:
            batch = [events.order()]
            batch.append(events.payment(batch[0][2]))
        elif roll < 0.5:
            batch = [events.signup()]
        else:
            batch = [events.location()]
        for topic, key, value in batch:
            try:
                producer.produce(topic, key=key.encode(), value=json.dumps(value).encode(),
                                 headers=[("source", b"kctl-demo")])
                self.produced += 1
            except BufferError:
                producer.poll(0.1)  # the queue is full while the broker is away; drop this one

    def _consume_loop(self) -> None:
        self._consume(LAGGING_GROUP, ["orders", "payments"], lagging=True)

    def _steady_loop(self) -> None:
        self._consume(STEADY_GROUP, ["user-signups"], lagging=False)

    def _consume(self, group: str, topics: list[str], *, lagging: bool) -> None:
        consumer = self.cluster.consumer(**{
            "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False,
            "client.id": f"{group}-1",
        })
        started = time.monotonic()
        try:
            consumer.subscribe(topics)
            while not self._stop.is_set():
                slow = lagging and int((time.monotonic() - started) / self.phase_s) % 2 == 0
                msgs = consumer.consume(5 if slow else 500, 0.5)
                real = [m for m in msgs if m.error() is None]
                if not real:
                    continue
                self.consumed[group] += len(real)
                with contextlib.suppress(KafkaException):
                    consumer.commit(asynchronous=False)
                if slow:
                    self._stop.wait(1.0)  # "processing" slower than orders arrive: lag grows
        finally:
            # close() leaves the group promptly; bounded so a dead broker cannot hang exit.
            closer = threading.Thread(target=consumer.close, daemon=True)
            closer.start()
            closer.join(5)
