"""Unit tests: certificate subjects as RFC 2253 names and Kafka's ssl.principal.mapping.rules."""

from __future__ import annotations

import ssl

import pytest
import trustme
from cryptography import x509
from cryptography.x509.oid import NameOID

from broker.security.principal import PrincipalMapper, subject_dn


def decoded_subject(tmp_path, cert_pem: bytes) -> tuple:
    """The subject as ssl's getpeercert() reports it for this certificate."""
    path = tmp_path / "cert.pem"
    path.write_bytes(cert_pem)
    return ssl._ssl._test_decode_cert(str(path))["subject"]  # same decoder as getpeercert


def test_subject_is_most_specific_first(tmp_path):
    cert = trustme.CA().issue_cert(
        "a.example", common_name="alice", organization_name="acme", organization_unit_name="eng"
    )
    subject = decoded_subject(tmp_path, cert.cert_chain_pems[0].bytes())
    assert subject_dn(subject) == "CN=alice,OU=eng,O=acme"


def test_special_characters_are_escaped_like_rfc2253(tmp_path):
    cert = trustme.CA().issue_cert(
        "a.example",
        common_name='a,b+c"d\\e<f>g;h',
        organization_name=" lead",
        organization_unit_name="#x",
    )
    pem = cert.cert_chain_pems[0].bytes()
    expected = x509.load_pem_x509_certificate(pem).subject.rfc4514_string()
    assert subject_dn(decoded_subject(tmp_path, pem)) == expected


def test_other_attributes_are_oid_and_hex_like_java():
    subject = ((("commonName", "bob"),), (("emailAddress", "bob@x.io"),))
    assert subject_dn(subject) == "1.2.840.113549.1.9.1=#1608626f6240782e696f,CN=bob"
    assert NameOID.EMAIL_ADDRESS.dotted_string == "1.2.840.113549.1.9.1"


DN = "CN=alice,OU=Eng,O=Acme,C=US"


@pytest.mark.parametrize(
    ("rules", "name"),
    [
        ("DEFAULT", DN),
        (None, DN),
        ("RULE:^CN=(.*?),OU=(.*?),O=(.*?),C=(.*?)$/$1@$3/L", "alice@acme"),
        ("RULE:^CN=(.*?),OU=(.*?),O=(.*?),C=(.*?)$/$1@$3/U", "ALICE@ACME"),
        ("RULE:^CN=(.*?),OU=(.*?),O=(.*?),C=(.*?)$/$2/", "Eng"),
        ("RULE:^CN=bob,.*$/bob/, RULE:^CN=([^,]*),.*$/$1/", "alice"),
        ("RULE:^CN=bob,.*$/bob/,DEFAULT", DN),
        ("RULE:^CN=([^,]*),.*$/$1\\/x/", "alice/x"),  # an escaped slash in the replacement
        ("RULE:^CN=([^,]*),.*$/$12/", "alice2"),  # $12 with one group: $1 then "2" (Kafka)
    ],
)
def test_mapping_rules(rules, name):
    assert PrincipalMapper.parse(rules).name(DN) == name


def test_no_matching_rule_is_an_error():
    with pytest.raises(ValueError, match=r"no ssl\.principal\.mapping\.rules rule applies"):
        PrincipalMapper.parse("RULE:^CN=bob,.*$/bob/").name(DN)


@pytest.mark.parametrize("rules", ["RULE:^CN=(.*$/$1/", "NOTARULE", "RULE:x/y"])
def test_invalid_rules_are_refused(rules):
    with pytest.raises(ValueError):
        PrincipalMapper.parse(rules)
