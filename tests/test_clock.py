"""REBOOK_NOW stops the clock for the local stack and the tests only; a deployed stage
(or one not set) always runs on the real clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import clock
from chalicelib.settings import reset_settings
from scripts import local_stack

PIN = "2026-12-31T23:30:00+02:00"


@pytest.fixture
def stage(monkeypatch):
    def set_stage(name: str | None, now: str | None = PIN) -> None:
        for var, value in (("REBOOK_STAGE", name), ("REBOOK_NOW", now)):
            if value is None:
                monkeypatch.delenv(var, raising=False)
            else:
                monkeypatch.setenv(var, value)
        reset_settings()

    yield set_stage
    reset_settings()


def real_now_is(instant: datetime) -> bool:
    return abs(instant - datetime.now(UTC)) < timedelta(minutes=1)


@pytest.mark.parametrize("name", ["local", "test"])
def test_the_local_stack_and_the_tests_run_at_the_pinned_instant(stage, name):
    stage(name)
    assert clock.now() == datetime(2026, 12, 31, 21, 30, tzinfo=UTC)
    assert clock.now().tzinfo == UTC


@pytest.mark.parametrize("name", ["dev", "prod", None])
def test_a_deployed_stage_ignores_it(stage, name):
    stage(name)
    assert real_now_is(clock.now())


def test_without_it_the_clock_is_real(stage):
    stage("local", now=None)
    assert real_now_is(clock.now())


def test_a_time_without_its_offset_is_refused(stage):
    stage("local", now="2026-12-31T23:30:00")
    with pytest.raises(ValueError, match="offset"):
        clock.now()


def test_the_local_stack_passes_it_to_every_process(tmp_path, monkeypatch):
    monkeypatch.delenv("REBOOK_NOW", raising=False)
    assert "REBOOK_NOW" not in local_stack.child_env(8000, 8001, 5005, tmp_path)
    assert local_stack.child_env(8000, 8001, 5005, tmp_path, now=PIN)["REBOOK_NOW"] == PIN
    assert local_stack.LocalStack(8000, 8001, 5005, tmp_path, now=PIN).now == PIN


def test_the_cli_reads_the_same_clock(stage):
    from scripts.rebook_cli import parse_moment

    stage("local")
    assert parse_moment("now") == datetime(2026, 12, 31, 21, 30, tzinfo=UTC)
    # "tomorrow" is the pinned day's tomorrow in Helsinki: 1 January.
    assert parse_moment("tomorrow 08:00") == datetime(2027, 1, 1, 6, 0, tzinfo=UTC)


def test_a_clock_moved_with_an_offset_reads_in_utc(stage, tmp_path, monkeypatch):
    """`rebook_cli run-job --now 2026-11-25T12:11:00+02:00` (or a test) moves the local
    stack's clock with Helsinki's offset: it still reads in UTC, as REBOOK_NOW does, so
    what is keyed by its hour (a hold running out, a message due) is keyed by the UTC
    hour the jobs read. Before, a hold made on such a clock never ran out."""
    monkeypatch.setenv("REBOOK_CLOCK_FILE", str(tmp_path / "clock.json"))
    stage("local")
    assert clock.travel_to(datetime.fromisoformat("2026-11-25T12:11:00+02:00"))
    assert clock.now() == datetime(2026, 11, 25, 10, 11, tzinfo=UTC)
    assert clock.now().tzinfo == UTC
    stage("local", None)  # not stopped: it runs on from there, in UTC too
    assert clock.now().tzinfo == UTC and clock.now() - datetime(2026, 11, 25, 10, 11, tzinfo=UTC) < timedelta(minutes=1)


def test_the_local_stacks_data_dir_is_never_committed(tmp_path):
    """A deploying engineer's walk: `--data-dir data` inside a clone held the passwords,
    the link secret and a signing key, one `git add -A` from a commit."""
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    data = tmp_path / "data"
    local_stack.keep_out_of_git(data)
    (data / "owners.json").write_text("{}", encoding="utf-8")
    status = subprocess.run(["git", "-C", str(tmp_path), "status", "--porcelain"], capture_output=True, text=True)
    assert status.returncode == 0 and status.stdout == "", status.stdout
    # A repository's own .gitignore (--data-dir .) is not written over (a probe).
    (tmp_path / ".gitignore").write_text("build/\n", encoding="utf-8")
    local_stack.keep_out_of_git(tmp_path)
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8") == "build/\n"
