"""Weekly: refit each business's return model (chalicelib/services/returns.py) to its
clients' visits up to Monday 00:00 UTC and move every client's at-risk and lapse days to
it. Idempotent: a business whose model of this week is stored already is skipped, so a
retried or doubled run changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.services import returns
from chalicelib.store import businesses


def run(now: datetime, simulated: bool = False) -> dict[str, Any]:
    summary = {"businesses": 0, "fitted": 0, "rekeyed": 0}
    for business_id in businesses.all_ids():
        b = businesses.get_by_id(business_id)
        if b is None:
            continue
        summary["businesses"] += 1
        done = returns.refit(b, now)
        summary["fitted"] += int(done["fitted"])
        summary["rekeyed"] += done["rekeyed"]
    return summary
