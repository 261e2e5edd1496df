"""The owner API under /api/v1/admin/: thin routes behind the JWT authorizer.

The authorizer verifies the token (chalicelib/auth/jwt_verify.py) and hands the
principal to the view through API Gateway's authorizer context; every use case then
reads only that principal's business.
"""

from __future__ import annotations

import functools

from chalice import AuthResponse, Blueprint, Response

from chalicelib.api.http import handler, json_body
from chalicelib.api.lazy import lazy
from chalicelib.auth import jwt_verify
from chalicelib.auth.principal import Principal
from chalicelib.errors import Unauthorized

calendar = lazy("chalicelib.services.admin.calendar")
feedback_report = lazy("chalicelib.services.admin.feedback_report")
feeds = lazy("chalicelib.services.admin.feeds")
floods = lazy("chalicelib.services.admin.floods")
followups = lazy("chalicelib.services.admin.followups")
gdpr = lazy("chalicelib.services.admin.gdpr")
registry = lazy("chalicelib.services.admin.registry")
retention_list = lazy("chalicelib.services.admin.retention_list")
standing = lazy("chalicelib.services.admin.standing")
settings = lazy("chalicelib.services.admin.settings")
stamps = lazy("chalicelib.services.admin.stamps")
csv_export = lazy("chalicelib.services.admin.csv_export")
kpi_report = lazy("chalicelib.services.admin.kpi_report")
messages = lazy("chalicelib.services.admin.messages")
time_off = lazy("chalicelib.services.admin.time_off")
imports = lazy("chalicelib.services.admin.imports")
webhooks = lazy("chalicelib.services.admin.webhooks")

admin = Blueprint(__name__)
PREFIX = "/api/v1/admin"


@admin.authorizer(ttl_seconds=300)
def owner_auth(auth_request):
    """No valid token, no access: there is no mode that lets anything through."""
    try:
        principal = jwt_verify.verify(auth_request.token or "")
    except jwt_verify.InvalidToken:
        return AuthResponse(routes=[], principal_id="anonymous")
    # The policy covers every route because API Gateway caches it per token.
    return AuthResponse(routes=["*"], principal_id=principal.user_id, context=principal.as_context())


def owner_route(path: str, methods=("GET",)):
    """Route + authorizer + the principal as the view's first argument + error shape."""

    def decorate(fn):
        @functools.wraps(fn)
        def view(*args, **kwargs):
            context = (admin.current_request.context or {}).get("authorizer") or {}
            principal = Principal.from_context(context)
            if principal is None:  # only reachable if the route were deployed without the authorizer
                raise Unauthorized("Sign in as the business owner or staff.")
            return fn(principal, *args, **kwargs)

        return admin.route(PREFIX + path, methods=list(methods), authorizer=owner_auth)(handler(view))

    return decorate


def _query() -> dict[str, str]:
    return dict(admin.current_request.query_params or {})


def _body():
    return json_body(admin.current_request)


@owner_route("/me")
def me(p):
    return settings.whoami(p)


@owner_route("/business")
def get_business(p):
    return settings.get_config(p)


@owner_route("/business", methods=["PUT"])
def put_business(p):
    return settings.put_config(p, _body(), admin.current_request.headers.get("if-match"))


@owner_route("/settings")
def get_settings(p):
    return settings.get_settings(p)


@owner_route("/settings/{section}", methods=["PUT"])
def put_settings_section(p, section):
    return settings.put_section(p, section, _body(), admin.current_request.headers.get("if-match"))


def _language():
    return admin.current_request.headers.get("accept-language")


@owner_route("/imports", methods=["POST"])
def preview_import(p):
    return imports.preview(p, json_body(admin.current_request, imports.MAX_BODY_BYTES), _language())


@owner_route("/imports/{import_id}")
def get_import(p, import_id):
    return imports.get(p, import_id, _language())


@owner_route("/imports/{import_id}/run", methods=["POST"])
def run_import(p, import_id):
    return imports.run(p, import_id, _language())


@owner_route("/calendar")
def get_calendar(p):
    return calendar.calendar(p, _query())


@owner_route("/calendar/changes")
def calendar_changes(p):
    return calendar.calendar_changes(p, _query())


@owner_route("/bookings", methods=["POST"])
def book_for_client(p):
    return calendar.book_for_client(p, _body(), admin.current_request.headers.get("idempotency-key"))


@owner_route("/appointments/{appointment_id}")
def get_appointment(p, appointment_id):
    return calendar.get_appointment(p, appointment_id)


@owner_route("/appointments/{appointment_id}/status", methods=["POST"])
def mark_visit(p, appointment_id):
    return calendar.mark_visit(p, appointment_id, _body())


@owner_route("/appointments/{appointment_id}/cancel", methods=["POST"])
def cancel_visit(p, appointment_id):
    return calendar.cancel_visit(p, appointment_id, _body())


@owner_route("/appointments/{appointment_id}/reschedule", methods=["POST"])
def reschedule_visit(p, appointment_id):
    return calendar.reschedule(p, appointment_id, _body())


@owner_route("/webhooks")
def list_webhooks(p):
    return webhooks.list_endpoints(p)


@owner_route("/webhooks", methods=["POST"])
def create_webhook(p):
    return webhooks.create(p, _body())


@owner_route("/webhooks/{endpoint_id}")
def get_webhook(p, endpoint_id):
    return webhooks.get(p, endpoint_id)


@owner_route("/webhooks/{endpoint_id}", methods=["PATCH"])
def update_webhook(p, endpoint_id):
    return webhooks.update(p, endpoint_id, _body())


@owner_route("/webhooks/{endpoint_id}", methods=["DELETE"])
def delete_webhook(p, endpoint_id):
    webhooks.delete(p, endpoint_id)
    return Response(body="", status_code=204)


@owner_route("/webhooks/{endpoint_id}/rotate-secret", methods=["POST"])
def rotate_webhook_secret(p, endpoint_id):
    return webhooks.rotate_secret(p, endpoint_id)


@owner_route("/webhooks/{endpoint_id}/deliveries")
def webhook_deliveries(p, endpoint_id):
    return webhooks.deliveries(p, endpoint_id, _query())


@owner_route("/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay", methods=["POST"])
def replay_webhook_delivery(p, endpoint_id, delivery_id):
    return webhooks.replay(p, endpoint_id, delivery_id)


@owner_route("/time-off", methods=["POST"])
def add_time_off(p):
    return 201, time_off.create(p, _body())


@owner_route("/time-off")
def list_time_off(p):
    return time_off.list_blocks(p, _query())


@owner_route("/time-off/{time_off_id}", methods=["DELETE"])
def delete_time_off(p, time_off_id):
    time_off.delete(p, time_off_id)
    return Response(body="", status_code=204)


@owner_route("/clients")
def list_clients(p):
    return registry.list_clients(p, _query())


@owner_route("/clients/{client_id}")
def get_client(p, client_id):
    return registry.get_profile(p, client_id)


@owner_route("/clients/{client_id}", methods=["PATCH"])
def update_client(p, client_id):
    return registry.update_profile(p, client_id, _body())


@owner_route("/clients/{client_id}", methods=["DELETE"])
def erase_client(p, client_id):
    return gdpr.erase(p, client_id)


@owner_route("/clients/{client_id}/signals/{code}/dismiss", methods=["POST"])
def dismiss_signal(p, client_id, code):
    return standing.dismiss(p, client_id, code)


@owner_route("/clients/{client_id}/history")
def client_history(p, client_id):
    return registry.get_history(p, client_id)


@owner_route("/clients/{client_id}/stats")
def client_stats(p, client_id):
    return registry.get_stats(p, client_id)


@owner_route("/clients/{client_id}/loyalty")
def client_loyalty(p, client_id):
    return stamps.get_card(p, client_id)


@owner_route("/clients/{client_id}/loyalty/adjustments", methods=["POST"])
def adjust_stamps(p, client_id):
    return 201, stamps.adjust(p, client_id, _body())


@owner_route("/clients/{client_id}/messages", methods=["POST"])
def send_personal_message(p, client_id):
    return messages.send_personal(p, client_id, _body())


@owner_route("/messages/failed")
def failed_messages(p):
    return messages.failed(p, _query())


@owner_route("/kpis")
def kpis(p):
    return kpi_report.report(p, _query())


@owner_route("/kpis/summary")
def kpis_summary(p):
    return kpi_report.summary(p)


@owner_route("/clients/{client_id}/consents")
def client_consents(p, client_id):
    return registry.get_consents(p, client_id)


def _csv_file(named_csv: tuple[str, str]) -> Response:
    filename, body = named_csv
    return Response(
        body=body,
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


@owner_route("/export/clients.csv")
def export_clients_csv(p):
    return _csv_file(csv_export.clients_csv(p))


@owner_route("/export/appointments.csv")
def export_appointments_csv(p):
    return _csv_file(csv_export.appointments_csv(p, _query()))


@owner_route("/clients/{client_id}/export")
def export_client(p, client_id):
    return gdpr.export(p, client_id)


@owner_route("/clients/{client_id}/notes")
def list_notes(p, client_id):
    return registry.list_notes(p, client_id)


@owner_route("/clients/{client_id}/notes", methods=["POST"])
def add_note(p, client_id):
    return registry.add_note(p, client_id, _body())


@owner_route("/clients/{client_id}/follow-ups")
def client_followups(p, client_id):
    return followups.for_client(p, client_id)


@owner_route("/clients/{client_id}/follow-ups", methods=["POST"])
def add_followup(p, client_id):
    return followups.create(p, client_id, _body())


@owner_route("/clients/{client_id}/follow-ups/{followup_id}", methods=["PUT"])
def update_followup(p, client_id, followup_id):
    return followups.update(p, client_id, followup_id, _body())


@owner_route("/follow-ups/due")
def followups_due(p):
    return followups.due(p, _query())


@owner_route("/retention")
def slipping_clients(p):
    return retention_list.slipping(p, _query())


@owner_route("/feedback")
def feedback(p):
    return feedback_report.report(p, _query())


@owner_route("/calendar-feeds")
def list_feeds(p):
    return feeds.list_feeds(p)


@owner_route("/calendar-feeds/{feed}/rotate", methods=["POST"])
def rotate_feed(p, feed):
    return feeds.rotate(p, feed)


@owner_route("/audit")
def audit_trail(p):
    return gdpr.audit_trail(p, _query())


@owner_route("/floods")
def list_floods(p):
    return floods.list_floods(p)


@owner_route("/floods/{flood_id}/release", methods=["POST"])
def release_flood(p, flood_id):
    return floods.release(p, flood_id)
