"""Fixtures shared by the client compatibility tests."""

from __future__ import annotations

import os

import pytest

from tests.compat.java_client import JavaClient, JavaUnavailable, java_client


@pytest.fixture(scope="session")
def java() -> JavaClient:
    """The Apache Kafka Java client, compiled once; skipped where no JDK is found, except in
    CI, where a missing one fails."""
    try:
        return java_client()
    except JavaUnavailable as e:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the Java client tests cannot run: {e}")
        pytest.skip(str(e))
