"""The loyalty tests' dates and the programme's settings.
Visits come from tests/history.py: set directly (`past_visits`) when they only lead up
to what a test checks, booked and ended through the API and the job (`visit`) when the
visit itself is the subject."""

from __future__ import annotations

# Thursdays at noon in Helsinki, a week apart.
THURSDAYS = tuple(
    f"{d}T12:00:00+02:00"
    for d in ("2026-11-26", "2026-12-03", "2026-12-10", "2026-12-17", "2027-01-07", "2027-01-14", "2027-01-21")
)


def set_programme(**changes) -> None:
    """Change the demo business's loyalty / referrals settings."""
    from chalicelib.store import businesses
    from tests.history import business

    cfg = business().config
    update = {k: getattr(cfg, k).model_copy(update=v) for k, v in changes.items()}
    businesses.save_config(cfg.model_copy(update=update))
