"""Calendar subscription URLs (ICS), public but unguessable: the secret is in the path."""

from chalice import Blueprint, Response

from chalicelib.api.http import handler
from chalicelib.api.lazy import lazy

feed_service = lazy("chalicelib.services.admin.feeds")

feeds = Blueprint(__name__)


@feeds.route("/ics/{business_id}/{feed}/{secret}/calendar.ics", methods=["GET"])
@handler
def calendar_feed(business_id, feed, secret):
    headers = feeds.current_request.headers
    built = feed_service.render(business_id, feed, secret, headers.get("if-none-match") if headers else None)
    cache = {"ETag": built.etag, "Cache-Control": "private, max-age=300"}
    if built.body is None:  # the calendar app's copy is current
        return Response(body="", status_code=304, headers=cache)
    return Response(
        body=built.body.decode("utf-8"),
        status_code=200,
        headers={
            "Content-Type": "text/calendar; charset=utf-8",
            "Content-Disposition": 'inline; filename="calendar.ics"',
            **cache,
        },
    )
