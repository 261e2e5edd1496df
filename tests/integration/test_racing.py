"""The racing helper fails a test at once with a racer's own error, or as soon as a racer
dies without a word — never after waiting for results that cannot come."""

from __future__ import annotations

import os
import time

import pytest

from tests.integration.conftest import race


def _one_fails(i, barrier):
    if i == 1:
        raise ConnectionError("DynamoDB Local went away")
    barrier.wait(timeout=120)  # the others would wait two minutes for it
    return i


def _one_dies(i, barrier):
    if i == 2:
        os._exit(3)
    return i


def _all_report(i, barrier):
    barrier.wait(timeout=120)
    return i * i


def test_a_racer_that_fails_fails_the_race_at_once_with_its_cause():
    started = time.monotonic()
    with pytest.raises(pytest.fail.Exception, match="ConnectionError: DynamoDB Local went away"):
        race(_one_fails, 4)
    assert time.monotonic() - started < 60  # not the barrier's 120 s


def test_a_racer_that_dies_without_a_word_fails_the_race():
    started = time.monotonic()
    with pytest.raises(pytest.fail.Exception, match=r"died without reporting: exit codes \[3\]"):
        race(_one_dies, 3)
    assert time.monotonic() - started < 60


def test_every_racer_reports():
    assert sorted(race(_all_report, 4)) == [0, 1, 4, 9]
