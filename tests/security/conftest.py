"""Fixtures of the security tests: one test PKI per module."""

from __future__ import annotations

import pytest

from tests.security.secure_broker import make_pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))
