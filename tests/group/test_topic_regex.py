"""KIP-848 subscription regexes read in Kafka's RE2/J syntax (group/consumer/topic_regex.py).

A Java consumer's Pattern.quote subscription, end to end, is in tests/compat/test_java_client.py.
"""

from __future__ import annotations

import pytest

from broker.group.consumer.topic_regex import InvalidRegex, compile_topic_regex


@pytest.mark.parametrize(
    ("regex", "topic", "matched"),
    [
        (r"\Qorders.v1\E-.*", "orders.v1-eu", True),  # Java's Pattern.quote
        (r"\Qorders.v1\E-.*", "ordersXv1-eu", False),
        (r"\Qorders.v1", "orders.v1", True),  # \Q without \E runs to the end
        (r"orders\z", "orders", True),
        (r"[[:alpha:]]+-[[:digit:]]+", "abc-12", True),
        (r"[[:alpha:]]+", "ab[", False),  # re alone reads [[:alpha:]] as another set
        (r"[[:^digit:]]+", "ab1", False),
        (r"[x[:digit:]]+", "x1x2", True),
        (r"(?<name>ord)ers", "orders", True),
        (r"(?iU)ORD.*", "orders", True),
        (r"\101-\0", "A-\0", True),  # octal escapes
        (r"(orders|payments)-.*", "payments-eu", True),
        (r"a\\z", "a\\z", True),
    ],
)
def test_subscription_regexes_follow_re2(regex, topic, matched):
    assert (compile_topic_regex(regex).fullmatch(topic) is not None) is matched


@pytest.mark.parametrize("regex", ["t[", "(?=a)a", "(?<!a)b", "(a)\\1", "a\\Z", "(?>a)", "\\8"])
def test_subscription_regexes_re2_refuses(regex):
    with pytest.raises(InvalidRegex):
        compile_topic_regex(regex)
