"""The current time, in one place, so tests can move it.

REBOOK_NOW (an ISO 8601 instant with its offset, e.g. 2026-12-31T12:00:00+02:00) stops
the clock there, but only in the local stack and the tests (REBOOK_STAGE local or
test): the browser tests run `make run`'s stack on the days they choose. In AWS it is
ignored — a deployed stage always runs on the real clock (chalicelib/settings.py).

On the local stack `rebook_cli run-job --now <moment>` also moves the clock of every
process of the stack to that moment (REBOOK_CLOCK_FILE, a small JSON file in .local/):
from there it runs on (or stays, when REBOOK_NOW stopped it), so the links in what the
job sent open as they would then. `rebook_cli clock --reset` goes back. Local and test
stages only, like REBOOK_NOW.
"""

import json
import os
from datetime import UTC, datetime

from chalicelib.settings import get_settings

_moved: dict[str, object] = {"key": None, "value": None}


def _travel(path: str) -> tuple[datetime, datetime] | None:
    """(the moment moved to, the real time it was moved at), read again when the file changes."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    key = (path, stat.st_mtime_ns, stat.st_size)
    if _moved["key"] != key:
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
            value = (datetime.fromisoformat(data["now"]), datetime.fromisoformat(data["set_at"]))
        except (OSError, ValueError, KeyError, TypeError):
            value = None
        _moved.update(key=key, value=value)
    return _moved["value"]  # type: ignore[return-value]


def now() -> datetime:
    settings = get_settings()
    moved = _travel(settings.clock_file) if settings.clock_file else None
    if moved is not None:
        moment, set_at = moved
        # In UTC, as REBOOK_NOW and the real clock: moved with an offset (`--now
        # 2026-11-25T12:00:00+02:00`), its instants would key hourly indexes by local hours.
        moment = moment.astimezone(UTC)
        return moment if settings.pinned_now is not None else moment + (datetime.now(UTC) - set_at)
    pinned = settings.pinned_now
    return pinned if pinned is not None else datetime.now(UTC)


def travel_to(moment: datetime | None) -> bool:
    """Move the local stack's clock to `moment` (None: back to REBOOK_NOW or real time).
    False where the clock cannot move (no REBOOK_CLOCK_FILE: AWS, or not the local stack)."""
    path = get_settings().clock_file
    if not path:
        return False
    if moment is None:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        return True
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"now": moment.isoformat(), "set_at": datetime.now(UTC).isoformat()}, f)
    return True
