"""Rebook's Chalice app: wiring only. Routes live in chalicelib/api, rules in chalicelib/domain."""

from chalice import Chalice, Cron, Rate

from chalicelib.api.admin import admin
from chalicelib.api.dashboard import dashboard
from chalicelib.api.feeds import feeds
from chalicelib.api.pages import pages
from chalicelib.api.public import public
from chalicelib.settings import get_settings

app = Chalice(app_name="rebook")
app.register_blueprint(public)
app.register_blueprint(pages)
app.register_blueprint(admin)
app.register_blueprint(feeds)
app.register_blueprint(dashboard)

if get_settings().is_local:
    # Local-only tools (the messages the local stack "sent"); never deployed routes.
    from chalicelib.api.dev import dev

    app.register_blueprint(dev)


def _run(name: str) -> dict:
    from chalicelib import clock
    from chalicelib.jobs.schedule import JOBS, summary_of

    return summary_of(JOBS[name].run(clock.now()))


@app.schedule(Rate(1, unit=Rate.MINUTES), name="send_due")
def send_due(event):
    """Reminders and outbox retries (chalicelib/jobs/send_due.py)."""
    return _run("send_due")


@app.schedule(Rate(5, unit=Rate.MINUTES), name="visits_ended")
def visits_ended(event):
    """Auto-completion and client rhythm after visits (chalicelib/jobs/visits_ended.py)."""
    return _run("visits_ended")


@app.schedule(Rate(5, unit=Rate.MINUTES), name="kpi_sync")
def kpi_sync(event):
    """KPI aggregates of clients whose history changed (chalicelib/services/kpis.py)."""
    return _run("kpi_sync")


@app.schedule(Rate(1, unit=Rate.HOURS), name="marketing")
def marketing(event):
    """Win-back and birthday messages at each business's local morning (chalicelib/services/marketing.py)."""
    return _run("marketing")


@app.schedule(Cron(15, 2, "*", "*", "?", "*"), name="erase_inactive")
def erase_inactive(event):
    """GDPR: erase clients inactive past their business's retention (chalicelib/jobs/erase_inactive.py)."""
    return _run("erase_inactive")
