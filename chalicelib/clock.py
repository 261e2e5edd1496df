"""The current time, in one place, so tests can move it."""
from datetime import datetime, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)
