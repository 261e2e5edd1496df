"""Rebook's Chalice app: wiring only. Routes live in chalicelib/api, rules in chalicelib/domain."""
from chalice import Chalice, Rate

from chalicelib.api.pages import pages
from chalicelib.api.public import public
from chalicelib.settings import get_settings

app = Chalice(app_name="rebook")
app.register_blueprint(public)
app.register_blueprint(pages)

if get_settings().is_local:
    # Local-only tools (the messages the local stack "sent"); never deployed routes.
    from chalicelib.api.dev import dev

    app.register_blueprint(dev)


@app.schedule(Rate(1, unit=Rate.MINUTES), name="send_due")
def send_due(event):
    """Reminders and outbox retries (chalicelib/jobs/send_due.py)."""
    from chalicelib import clock
    from chalicelib.jobs.schedule import JOBS

    return JOBS["send_due"].run(clock.now()).as_dict()
