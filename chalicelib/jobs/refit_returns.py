"""Hourly, and a fit once a week: each business's return model (chalicelib/services/
returns.py) is refitted to its clients' visits up to Monday 00:00 UTC, then every
client's at-risk and lapse days are moved to it — within the run's budget; a business
with many clients is finished by the next runs. Idempotent: once this week's model is
stored and everyone re-keyed, a run reads one small item per business and writes nothing."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from chalicelib.services import returns
from chalicelib.store import businesses

# The job's Lambda has 30 s (a fit of 20 000 clients, its thresholds, spacing out and
# stacking take 10-16 s, re-keying one client 6 ms). A fit is begun only with FIT_SECONDS left,
# unless it is the run's first work: every run makes progress.
BUDGET_SECONDS = 20.0
FIT_SECONDS = 13.0


def run(now: datetime, simulated: bool = False, budget_seconds: float = BUDGET_SECONDS) -> dict[str, Any]:
    summary: dict[str, Any] = {"businesses": 0, "fitted": 0, "rekeyed": 0, "left_for_next_run": False}
    deadline = time.monotonic() + budget_seconds
    for business_id in businesses.all_ids():
        if summary["businesses"] and time.monotonic() > deadline:  # at least one business a run
            summary["left_for_next_run"] = True
            break
        b = businesses.get_by_id(business_id)
        if b is None:
            continue
        summary["businesses"] += 1
        worked = summary["fitted"] or summary["rekeyed"]  # the run's first work is always begun
        done = returns.refit(b, now, deadline, fit_reserve=FIT_SECONDS if worked else 0.0)
        summary["fitted"] += int(done["fitted"])
        summary["rekeyed"] += done["rekeyed"]
        summary["left_for_next_run"] |= done["left_for_next_run"]
    return summary
