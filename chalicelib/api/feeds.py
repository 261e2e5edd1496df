"""Calendar subscription URLs (ICS), public but unguessable: the secret is in the path."""

from chalice import Blueprint, Response

from chalicelib.api.http import handler
from chalicelib.api.lazy import lazy

feed_service = lazy("chalicelib.services.admin.feeds")

feeds = Blueprint(__name__)


@feeds.route("/ics/{business_id}/{feed}/{secret}/calendar.ics", methods=["GET"])
@handler
def calendar_feed(business_id, feed, secret):
    body = feed_service.render(business_id, feed, secret)
    return Response(
        body=body.decode("utf-8"),
        status_code=200,
        headers={
            "Content-Type": "text/calendar; charset=utf-8",
            "Content-Disposition": 'inline; filename="calendar.ics"',
            "Cache-Control": "private, max-age=300",
        },
    )
