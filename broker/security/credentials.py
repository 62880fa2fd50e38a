"""SCRAM credentials as stored in the metadata log: salt, StoredKey, ServerKey, iterations.

Kafka's mechanism type numbers (ScramMechanism): 1 = SCRAM-SHA-256, 2 = SCRAM-SHA-512.
scramp makes credentials from a password; AlterUserScramCredentials sends the client-salted
password instead, from which the keys follow by RFC 5802's two HMACs and a hash.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

import scramp

from broker.metadata.records import UserScramCredentialRecord

MECHANISMS = {1: "SCRAM-SHA-256", 2: "SCRAM-SHA-512"}
TYPES = {name: t for t, name in MECHANISMS.items()}
_HASHES = {1: hashlib.sha256, 2: hashlib.sha512}
MIN_ITERATIONS, MAX_ITERATIONS = 4096, 16384  # Kafka's bounds
DEFAULT_ITERATIONS = 4096  # kafka-storage / kafka-configs' default
MIN_SALT = 12  # bytes: scramp's floor, so that a stored credential can log in


def from_password(
    name: str, mechanism: int, password: str, iterations: int = DEFAULT_ITERATIONS
) -> UserScramCredentialRecord:
    salt, stored_key, server_key, i = scramp.ScramMechanism(MECHANISMS[mechanism]).make_auth_info(
        password, iteration_count=iterations
    )
    return UserScramCredentialRecord(name, mechanism, salt, stored_key, server_key, i)


def from_salted_password(
    name: str, mechanism: int, salt: bytes, salted_password: bytes, iterations: int
) -> UserScramCredentialRecord:
    digest = _HASHES[mechanism]
    client_key = hmac.digest(salted_password, b"Client Key", digest)
    server_key = hmac.digest(salted_password, b"Server Key", digest)
    stored_key = digest(client_key).digest()
    return UserScramCredentialRecord(name, mechanism, salt, stored_key, server_key, iterations)


def verify_password(record: UserScramCredentialRecord, password: str) -> bool:
    """Whether ``password`` salts to the stored key (PLAIN logins of SCRAM users).

    Costs one PBKDF2 run of the credential's iterations: call it off the event loop.
    """
    try:
        _, stored_key, _, _ = scramp.ScramMechanism(MECHANISMS[record.mechanism]).make_auth_info(
            password, iteration_count=record.iterations, salt=record.salt
        )
    except scramp.ScramException:
        return False
    return hmac.compare_digest(stored_key, record.stored_key)


# --- --add-scram, in kafka-storage's syntax ---------------------------------------------------

_SPEC = re.compile(r"^\s*(SCRAM-SHA-(?:256|512))\s*=\s*\[(.*)\]\s*$")


def parse_add_scram(spec: str) -> tuple[int, str, str, int]:
    """'SCRAM-SHA-256=[name=alice,password=alice-secret]' -> (mechanism, name, password,
    iterations); values may be double-quoted; ValueError naming the problem."""
    m = _SPEC.match(spec)
    if m is None:
        raise ValueError(
            f"{spec!r} is not SCRAM-SHA-256=[name=NAME,password=PASSWORD] (or SCRAM-SHA-512)"
        )
    fields: dict[str, str] = {}
    for part in re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|[^,]*)', m.group(2)):
        key, value = part
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        fields[key] = value
    unknown = set(fields) - {"name", "password", "iterations"}
    if unknown or not fields.get("name") or "password" not in fields:
        raise ValueError(f"{spec!r}: give name=... and password=... (and optionally iterations)")
    iterations = int(fields.get("iterations", DEFAULT_ITERATIONS))
    if not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
        raise ValueError(f"{spec!r}: iterations must be {MIN_ITERATIONS}..{MAX_ITERATIONS}")
    return TYPES[m.group(1)], fields["name"], fields["password"], iterations


@dataclass(frozen=True, slots=True)
class Upsertion:
    """One credential of AlterUserScramCredentials: the client salts the password itself."""

    name: str
    mechanism: int
    iterations: int
    salt: bytes
    salted_password: bytes
