"""Principals from client certificates: the subject as an RFC 2253 name, mapped by Kafka's
``ssl.principal.mapping.rules``.

Rules are ``DEFAULT`` (the distinguished name itself) or ``RULE:pattern/replacement/[LU]``,
comma-separated; the first rule whose pattern matches the whole name gives the user name
(``$n`` in the replacement is a group, L/U lower or upper case it). No matching rule fails the
connection, as in Kafka.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ANONYMOUS = "User:ANONYMOUS"

# One rule, then a comma or the end: Kafka's splitter (a pattern may contain escaped slashes).
_RULE = r"(DEFAULT)|RULE:((?:\\.|[^\\/])*)/((?:\\.|[^\\/])*)/([LU]?).*?|(.*?)"
_SPLITTER = re.compile(r"\s*(" + _RULE + r")\s*(?:,\s*|$)")
_PARSER = re.compile(_RULE)
_BACKREF = re.compile(r"\$(\d+)|\\(.)", re.S)


@dataclass(frozen=True, slots=True)
class Rule:
    pattern: re.Pattern[str] | None  # None: DEFAULT
    replacement: str = ""
    case: str = ""  # "", "L" or "U"

    def apply(self, dn: str) -> str | None:
        if self.pattern is None:
            return dn
        m = self.pattern.fullmatch(dn)
        if m is None:
            return None
        groups = self.pattern.groups
        name = self.pattern.sub(lambda mm: _expand(self.replacement, mm, groups), dn)
        if self.case == "L":
            return name.lower()
        if self.case == "U":
            return name.upper()
        return name


def _expand(replacement: str, m: re.Match[str], groups: int) -> str:
    """Java's replacement syntax: $n is group n (Kafka: an n past the groups is cut to fit, or
    left as text), a backslash quotes the next character."""

    def one(r: re.Match[str]) -> str:
        if r.group(2) is not None:
            return r.group(2)
        digits = r.group(1)
        n = int(digits)
        if groups == 0 or digits.startswith("0"):
            return r.group(0) if groups == 0 else (m.group(0) + digits[1:])
        while n > groups and n >= 10:
            n //= 10
        if n > groups:
            return r.group(0)
        return (m.group(n) or "") + digits[len(str(n)) :]

    return _BACKREF.sub(one, replacement)


@dataclass(frozen=True, slots=True)
class PrincipalMapper:
    rules: tuple[Rule, ...]

    @classmethod
    def parse(cls, text: str | None) -> PrincipalMapper:
        """Parse ssl.principal.mapping.rules; ValueError naming a bad rule."""
        rules = []
        for m in _SPLITTER.finditer((text or "DEFAULT").strip()):
            rule = m.group(1)
            if not rule:
                continue  # empty rules are ignored
            p = _PARSER.match(rule)
            if p is None or p.end() != len(rule):
                raise ValueError(f"invalid rule {rule!r}")
            if p.group(1):
                rules.append(Rule(None))
            elif p.group(2) is not None:
                try:
                    pattern = re.compile(p.group(2))
                except re.error as e:
                    raise ValueError(f"invalid pattern in rule {rule!r}: {e}") from None
                rules.append(Rule(pattern, p.group(3), p.group(4)))
            else:
                raise ValueError(f"invalid rule {rule!r}")
        return cls(tuple(rules))

    def name(self, dn: str) -> str:
        """The user name for a distinguished name; ValueError when no rule applies."""
        for rule in self.rules:
            name = rule.apply(dn)
            if name is not None:
                return name
        raise ValueError(f"no ssl.principal.mapping.rules rule applies to {dn!r}")


# RFC 2253 keywords for the attribute names Python's ssl module reports; other attributes are
# written as OID=#<hex of the DER string>, as Java's X500Principal does.
_KEYWORDS = {
    "commonName": "CN",
    "localityName": "L",
    "stateOrProvinceName": "ST",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "countryName": "C",
    "streetAddress": "STREET",
    "domainComponent": "DC",
    "userId": "UID",
}
# name -> (OID, DER string tag) for the usual extra attributes.
_OIDS = {
    "emailAddress": ("1.2.840.113549.1.9.1", 0x16),  # IA5String
    "serialNumber": ("2.5.4.5", 0x13),  # PrintableString
    "title": ("2.5.4.12", 0x0C),
    "surname": ("2.5.4.4", 0x0C),
    "givenName": ("2.5.4.42", 0x0C),
    "initials": ("2.5.4.43", 0x0C),
    "pseudonym": ("2.5.4.65", 0x0C),
    "generationQualifier": ("2.5.4.44", 0x0C),
    "dnQualifier": ("2.5.4.46", 0x13),
    "postalCode": ("2.5.4.17", 0x0C),
    "businessCategory": ("2.5.4.15", 0x0C),
}


def subject_dn(subject: tuple) -> str:
    """RFC 2253 form of ``getpeercert()['subject']`` (most specific RDN first)."""
    rdns = []
    for rdn in reversed(subject):
        rdns.append("+".join(_attribute(name, value) for name, value in rdn))
    return ",".join(rdns)


def _attribute(name: str, value: str) -> str:
    keyword = _KEYWORDS.get(name)
    if keyword is not None:
        return f"{keyword}={_escape(value)}"
    oid, tag = _OIDS.get(name, (name, 0x0C))
    data = value.encode()
    return f"{oid}=#{_der_header(tag, len(data)).hex()}{data.hex()}"


def _der_header(tag: int, length: int) -> bytes:
    if length < 0x80:
        return bytes([tag, length])
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size


def _escape(value: str) -> str:
    out = "".join("\\" + c if c in ',+"\\<>;' else c for c in value)
    if out.startswith(("#", " ")):
        out = "\\" + out
    if out.endswith(" ") and not out.endswith("\\ "):
        out = out[:-1] + "\\ "
    return out
