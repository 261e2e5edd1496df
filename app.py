"""Rebook's Chalice app: wiring only. Routes live in chalicelib/api, rules in chalicelib/domain,
and the scheduled jobs with their schedules in chalicelib/jobs/schedule.py."""

from collections.abc import Callable

from chalice import Chalice, Cron, Rate

from chalicelib.api.admin import admin
from chalicelib.api.dashboard import dashboard
from chalicelib.api.feeds import feeds
from chalicelib.api.http import in_error_shape
from chalicelib.api.pages import pages
from chalicelib.api.payments import payments
from chalicelib.api.public import public
from chalicelib.api.reference import reference
from chalicelib.jobs.schedule import JOBS, Job
from chalicelib.settings import get_settings
from chalicelib.snapshot import register as register_snapshot_hooks

# SnapStart (Python 3.12+ runtimes): no secret in the snapshot; fresh randomness, caches
# and connections in every restored copy (chalicelib/snapshot.py).
register_snapshot_hooks()

app = Chalice(app_name="rebook")
# The business images (chalicelib/api/pages.py) are answered as bytes.
app.api.binary_types.append("image/webp")
app.register_blueprint(public)
app.register_blueprint(pages)
app.register_blueprint(admin)
app.register_blueprint(feeds)
app.register_blueprint(dashboard)
app.register_blueprint(payments)
app.register_blueprint(reference)


@app.middleware("http")
def errors_in_one_shape(event, get_response):
    """What Chalice answers itself (415, 405, its own 500) in the documented error shape."""
    return in_error_shape(get_response(event))


if get_settings().is_local:
    # Local-only tools (the messages the local stack "sent"); never deployed routes.
    from chalicelib.api.dev import dev

    app.register_blueprint(dev)


def _expression(job: Job) -> Rate | Cron:
    if job.at is not None:
        hour, minute = (int(p) for p in job.at.split(":"))
        return Cron(minute, hour, "*", "*", "?", "*")
    if job.every_minutes % 60 == 0:
        return Rate(job.every_minutes // 60, unit=Rate.HOURS)
    return Rate(job.every_minutes, unit=Rate.MINUTES)


def _handler(job: Job) -> Callable[[object], dict]:
    def handler(event: object) -> dict:
        from chalicelib import clock
        from chalicelib.jobs.schedule import summary_of

        return summary_of(job.run(clock.now()))

    # Chalice names the Lambda handler `app.<function name>`: one function per job.
    handler.__name__ = handler.__qualname__ = job.name
    handler.__doc__ = job.about
    return handler


# The table's stream: the deployed stack points this trigger at the table's stream ARN and
# filters it to new pending outbox messages (infra/rebook_stack.py); the ARN here only
# names the function's event source for `chalice package`.
OUTBOX_STREAM_PLACEHOLDER = "arn:aws:dynamodb:eu-north-1:000000000000:table/rebook/stream/outbox"


@app.on_dynamodb_record(stream_arn=OUTBOX_STREAM_PLACEHOLDER, batch_size=10, starting_position="LATEST")
def send_from_outbox(event) -> dict:
    """New messages (a booking's confirmations) leave right after their transaction."""
    from chalicelib import clock
    from chalicelib.services.outbox_stream import send_new

    return send_new(((r.event_name, r.new_image) for r in event), clock.now())


for _job in JOBS.values():
    globals()[_job.name] = app.schedule(_expression(_job), name=_job.name)(_handler(_job))
