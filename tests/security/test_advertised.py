"""What a listener advertises when it binds every interface."""

from __future__ import annotations

import logging

from broker.config import load_config
from broker.security.settings import build_listeners


def _specs(*overrides: str):
    return build_listeners(load_config(None, list(overrides)))


def test_a_wildcard_listener_advertises_loopback_and_warns(caplog):
    with caplog.at_level(logging.WARNING, "broker.security"):
        (spec,) = _specs("listeners=PLAINTEXT://0.0.0.0:9092")
    assert (spec.host, spec.advertised_host) == ("0.0.0.0", "127.0.0.1")
    assert "clients on other machines will fail" in caplog.text
    assert "advertised.listeners=PLAINTEXT://HOST:9092" in caplog.text


def test_no_warning_once_advertised_or_bound_to_one_address(caplog):
    with caplog.at_level(logging.WARNING, "broker.security"):
        (spec,) = _specs(
            "listeners=PLAINTEXT://0.0.0.0:9092", "advertised.listeners=PLAINTEXT://k.example:9092"
        )
        assert spec.advertised_host == "k.example"
        _specs("listeners=PLAINTEXT://127.0.0.1:9092")
        _specs("listeners=PLAINTEXT://localhost:9092")
    assert caplog.text == ""
