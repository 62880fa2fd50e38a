"""Unit tests: PLAIN users from Kafka's sasl.jaas.config, and --add-scram specifications."""

from __future__ import annotations

import pytest

from broker.security.credentials import from_password, parse_add_scram, verify_password
from broker.security.sasl.jaas import parse_plain_users

MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"


def test_users_are_the_user_options():
    text = (
        f'{MODULE} required username="admin" password="admin-secret"\n'
        '  user_admin="admin-secret" user_alice="a;b=c \\"q\\"" user_bob=plain;'
    )
    assert parse_plain_users(text) == {
        "admin": "admin-secret",
        "alice": 'a;b=c "q"',
        "bob": "plain",
    }


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (f'{MODULE} required user_a="x"', "expected"),  # no closing semicolon
        ('org.example.Other required user_a="x";', "is not"),
        (f'{MODULE} always user_a="x";', "control flag"),
        (f'{MODULE} required user_a "x";', "key=value"),
        (f'{MODULE} required user_a="x', "cannot parse"),
    ],
)
def test_malformed_configs_are_refused(text, problem):
    with pytest.raises(ValueError, match=problem):
        parse_plain_users(text)


def test_add_scram_spec():
    assert parse_add_scram("SCRAM-SHA-256=[name=alice,password=alice-secret]") == (
        1, "alice", "alice-secret", 4096,
    )  # fmt: skip
    assert parse_add_scram('SCRAM-SHA-512=[name=bob,password="a,b]c",iterations=8192]') == (
        2, "bob", "a,b]c", 8192,
    )  # fmt: skip


@pytest.mark.parametrize(
    "spec",
    [
        "SCRAM-SHA-1=[name=a,password=b]",
        "SCRAM-SHA-256=[password=b]",
        "SCRAM-SHA-256=[name=a,password=b,iterations=100]",
        "SCRAM-SHA-256=[name=a,password=b,salt=c]",
        "SCRAM-SHA-256 name=a",
    ],
)
def test_bad_add_scram_specs_are_refused(spec):
    with pytest.raises(ValueError):
        parse_add_scram(spec)


@pytest.mark.parametrize("mechanism", [1, 2])
def test_plain_password_checks_against_a_stored_scram_credential(mechanism):
    record = from_password("alice", mechanism, "secret", 4096)
    assert verify_password(record, "secret")
    assert not verify_password(record, "Secret")
