"""The pure rules of webhooks: the retry schedule, what an answer comes to, which
addresses and URLs are allowed, secrets and their rotation."""

from __future__ import annotations

import ipaddress
import random
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import webhooks as w
from chalicelib.domain.messages import MAX_ATTEMPTS

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_the_retries_span_more_than_a_day_even_with_the_least_jitter(monkeypatch):
    monkeypatch.setattr(random, "random", lambda: 0.0)  # every wait at its shortest
    assert sum((w.backoff(n) for n in range(1, MAX_ATTEMPTS)), timedelta()) >= timedelta(hours=24)
    monkeypatch.setattr(random, "random", lambda: 0.999)
    assert w.backoff(1) < timedelta(seconds=6)  # the first retry comes quickly


@pytest.mark.parametrize(
    ("answer", "outcome", "disable"),
    [
        (w.Response(200), "sent", False),
        (w.Response(204), "sent", False),
        (w.Response(410), "failed", True),
        (w.Response(500), "pending", False),
        (w.Response(404), "pending", False),
        (w.Response(None, error="timeout"), "pending", False),
    ],
)
def test_what_an_answer_comes_to(answer, outcome, disable):
    verdict = w.judge(answer, 0)
    assert (verdict.outcome, verdict.disable) == (outcome, disable)


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_overload_answers_slow_down_and_retry_after_is_honoured(status):
    def wait(answer: w.Response) -> timedelta:
        verdict = w.judge(answer, 0)
        assert verdict.outcome == "pending" and verdict.wait is not None
        return verdict.wait

    assert wait(w.Response(status)) >= 2 * w.SCHEDULE[0] * 0.9
    assert wait(w.Response(status, retry_after=timedelta(hours=3))) >= timedelta(hours=3)
    assert wait(w.Response(status, retry_after=timedelta(days=9))) <= w.MAX_RETRY_AFTER + w.SCHEDULE[0] * 3


def test_retry_after_as_seconds_or_a_date():
    assert w.parse_retry_after("120", NOW) == timedelta(seconds=120)
    assert w.parse_retry_after("Mon, 23 Nov 2026 09:00:00 GMT", NOW) == timedelta(hours=1)
    assert w.parse_retry_after("soon", NOW) is None and w.parse_retry_after(None, NOW) is None


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of the metadata service
        "2002:c0a8:101::",  # 6to4 of 192.168.1.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "2001::1",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b:1::5db8:d822",  # local-use NAT64
        "::7f00:1",  # IPv4-compatible 127.0.0.1
        "fec0::1",  # site-local (deprecated, still routed inside some networks)
    ],
)
def test_private_loopback_and_link_local_addresses_are_not_public(address):
    assert not w.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "2002:5db8:d822::1", "::ffff:93.184.216.34"],
)
def test_public_addresses_are(address):
    assert w.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",
        "https://127.0.0.1/x",
        "https://localhost/x",
        "https://user:pw@hooks.example.com/",
        "https://[::1]/x",
        "https://[2002:7f00:1::]/x",
        "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/x",
        "ftp://hooks.example.com/",
        "https:///nohost",
        "https://hooks.example.com:99999/",
        # The same addresses as a resolver reads other ways of writing them.
        "https://169.254.169.254./latest/meta-data",
        "https://localhost./x",
        "https://127.1/x",
        "https://2130706433/x",
        "https://0x7f.0.0.1/x",
    ],
)
def test_urls_refused_in_aws(url):
    assert w.url_problem(url, allow_private=False)


@pytest.mark.parametrize(
    "url",
    [
        "https://exa mple.com/x",
        "https://ex\u0000ample.com/x",
        "https://example.com/\r\nX-Injected: 1",  # a header of the delivery's request
        "https://example.com:0/x",
        "https://exa%20mple.com/x",
        "https://-example.com/x",
    ],
)
def test_urls_no_delivery_could_reach_are_refused_wherever_it_runs(url):
    # Not the SSRF guard's (the local stack allows private addresses): a URL broken as such.
    assert w.url_problem(url, allow_private=True) and w.url_problem(url, allow_private=False)


def test_urls_allowed():
    assert w.url_problem("https://hooks.example.com/rebook?x=1", allow_private=False) is None
    assert w.url_problem("http://127.0.0.1:8123/hook", allow_private=True) is None
    assert w.url_problem("https://[2606:4700::1111]/x", allow_private=False) is None
    assert w.url_problem("https://hooks.example.com./x", allow_private=False) is None  # a name, fully qualified
    assert w.url_problem("https://my_hooks.example.com/x", allow_private=False) is None


def test_a_rotation_keeps_the_old_secret_signing_for_a_day():
    first = (w.Secret(w.new_secret()),)
    assert first[0].value.startswith("whsec_")
    rotated = w.rotated(first, NOW)
    e = w.Endpoint("b", "e", "https://x.example", ("booking.created",), True, rotated, NOW, NOW)
    assert e.signing_secrets(NOW) == [rotated[0].value, first[0].value]
    assert e.signing_secrets(NOW + w.ROTATION_OVERLAP + timedelta(seconds=1)) == [rotated[0].value]
    again = w.rotated(rotated, NOW + timedelta(days=2))  # the long-expired one is dropped
    assert len(again) == 2 and first[0].value not in [s.value for s in again]


def test_an_endpoint_wants_only_its_events_and_only_while_on():
    e = w.Endpoint("b", "e", "https://x.example", ("booking.created",), True, (), NOW, NOW)
    assert e.wants("booking.created") and not e.wants("client.created")
    from dataclasses import replace

    assert not replace(e, enabled=False).wants("booking.created")


def test_five_days_of_failures_switch_an_endpoint_off():
    assert not w.should_disable(None, NOW)
    assert not w.should_disable(NOW - timedelta(days=4, hours=23), NOW)
    assert w.should_disable(NOW - timedelta(days=5), NOW)
