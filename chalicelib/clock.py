"""The current time, in one place, so tests can move it.

REBOOK_NOW (an ISO 8601 instant with its offset, e.g. 2026-12-31T12:00:00+02:00) stops
the clock there, but only in the local stack and the tests (REBOOK_STAGE local or
test): the browser tests run `make run`'s stack on the days they choose. In AWS it is
ignored — a deployed stage always runs on the real clock (chalicelib/settings.py).
"""

from datetime import UTC, datetime

from chalicelib.settings import get_settings


def now() -> datetime:
    pinned = get_settings().pinned_now
    return pinned if pinned is not None else datetime.now(UTC)
