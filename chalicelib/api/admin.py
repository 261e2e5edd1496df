"""The owner API under /api/v1/admin/: thin routes behind the JWT authorizer.

The authorizer verifies the token (chalicelib/auth/jwt_verify.py) and hands the
principal to the view through API Gateway's authorizer context; every use case then
reads only that principal's business.
"""

from __future__ import annotations

import functools

from chalice import AuthResponse, Blueprint, Response

from chalicelib.api.http import handler, json_body, query_params
from chalicelib.api.lazy import lazy
from chalicelib.auth import jwt_verify
from chalicelib.auth.principal import Principal
from chalicelib.domain.api_keys import READ, WRITE_BOOKINGS, WRITE_CLIENTS, looks_like_key
from chalicelib.errors import Unauthorized
from chalicelib.settings import get_settings as _stage_settings

calendar = lazy("chalicelib.services.admin.calendar")
feedback_report = lazy("chalicelib.services.admin.feedback_report")
feeds = lazy("chalicelib.services.admin.feeds")
floods = lazy("chalicelib.services.admin.floods")
followups = lazy("chalicelib.services.admin.followups")
gdpr = lazy("chalicelib.services.admin.gdpr")
idempotency = lazy("chalicelib.services.idempotency")
registry = lazy("chalicelib.services.admin.registry")
reminder_list = lazy("chalicelib.services.admin.reminder_list")
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
api_keys = lazy("chalicelib.services.admin.api_keys")
waitlist = lazy("chalicelib.services.admin.waitlist")

admin = Blueprint(__name__)
PREFIX = "/api/v1/admin"


# The scope an integration's API key needs on each route, None where no key may go:
# (path, method) -> scope. The OpenAPI document's security per operation is checked
# against it (tests/contract/test_openapi_document.py).
SCOPES: dict[tuple[str, str], str | None] = {}


def _bearer(token: str) -> str:
    return token[7:].strip() if token.lower().startswith("bearer ") else token


class MeteredAuthResponse(AuthResponse):
    """An authorizer's answer that names the API key API Gateway meters the request by
    (`usageIdentifierKey`: the API takes keys from the authorizer, chalicelib/auth/usage_plan.py)."""

    def __init__(self, routes, principal_id, context=None, usage_key: str | None = None):
        super().__init__(routes, principal_id, context)
        self.usage_key = usage_key

    def to_dict(self, request):
        answer = super().to_dict(request)
        if self.usage_key:
            answer["usageIdentifierKey"] = self.usage_key
        return answer


@admin.authorizer(ttl_seconds=300)
def owner_auth(auth_request):
    """No valid token or key, no access: there is no mode that lets anything through.
    `Authorization: Bearer <owner JWT>` or `Bearer rbk_…` (an integration's API key).
    In AWS each answer names the usage plan key the request is metered by: the
    integration's own, or the owners' shared one."""
    token = _bearer(auth_request.token or "")
    if looks_like_key(token):
        # A key's revocation, scope and limit are checked by the view on every use (this
        # answer is cached for the token).
        found = api_keys.sign_in(token)
        if found is None:
            return AuthResponse(routes=[], principal_id="anonymous")
        principal, usage_key = found
        return MeteredAuthResponse(["*"], principal.user_id, principal.as_context(), usage_key)
    try:
        principal = jwt_verify.verify(token)
    except jwt_verify.InvalidToken:
        return AuthResponse(routes=[], principal_id="anonymous")
    # The policy covers every route because API Gateway caches it per token.
    owners = _stage_settings().owner_usage_key
    return MeteredAuthResponse(["*"], principal.user_id, principal.as_context(), owners)


def owner_route(path: str, methods=("GET",), *, scope: str | None):
    """Route + authorizer + the principal as the view's first argument + error shape.
    `scope`: what an API key needs to call it; None: the owner's and staff's sign-in only."""
    for method in methods:
        SCOPES[(PREFIX + path, method.lower())] = scope

    def decorate(fn):
        @functools.wraps(fn)
        def view(*args, **kwargs):
            context = (admin.current_request.context or {}).get("authorizer") or {}
            principal = Principal.from_context(context)
            if principal is None:  # only reachable if the route were deployed without the authorizer
                raise Unauthorized("Sign in as the business owner or staff.")
            api_keys.admit(principal, scope, admin.current_request.method, PREFIX + path)
            return fn(principal, *args, **kwargs)

        return admin.route(PREFIX + path, methods=list(methods), authorizer=owner_auth)(handler(view))

    return decorate


def _query() -> dict[str, str]:
    return query_params(admin.current_request)


def _body():
    return json_body(admin.current_request)


def _saved_once(p, save, replay=None, money=False):
    """A save that checks `If-Match`, once per `Idempotency-Key` (services/idempotency.py):
    `save(body, if_match)`; the same key and request again answer as the first time, or
    with `replay()` (what a client's save answers: kept nowhere, see save_once). Who asks
    is part of the request: another user's (or API key's) replay of the key is 422
    idempotency_key_reused, never the first caller's answer past her own permission check."""
    r = admin.current_request
    body, if_match = _body(), r.headers.get("if-match")
    asked = {
        "by": p.user_id,
        "method": r.method,
        "path": r.path,
        "params": r.uri_params,
        "body": body,
        "if_match": if_match,
    }
    key = r.headers.get("idempotency-key")
    return idempotency.save_once(p.business_id, key, asked, lambda: save(body, if_match), replay, money=money)


@owner_route("/me", scope=READ)
def me(p):
    return settings.whoami(p)


@owner_route("/business", scope=None)
def get_business(p):
    return settings.get_config(p)


@owner_route("/business", methods=["PUT"], scope=None)
def put_business(p):
    return _saved_once(p, lambda body, if_match: settings.put_config(p, body, if_match))


@owner_route("/settings", scope=None)
def get_settings(p):
    return settings.get_settings(p)


@owner_route("/settings/{section}", methods=["PUT"], scope=None)
def put_settings_section(p, section):
    return _saved_once(p, lambda body, if_match: settings.put_section(p, section, body, if_match))


def _language():
    return admin.current_request.headers.get("accept-language")


@owner_route("/imports", methods=["POST"], scope=None)
def preview_import(p):
    return imports.preview(p, json_body(admin.current_request, imports.MAX_BODY_BYTES), _language())


@owner_route("/imports/{import_id}", scope=None)
def get_import(p, import_id):
    return imports.get(p, import_id, _language())


@owner_route("/imports/{import_id}/run", methods=["POST"], scope=None)
def run_import(p, import_id):
    return imports.run(p, import_id, _language())


@owner_route("/calendar", scope=READ)
def get_calendar(p):
    return calendar.calendar(p, _query())


@owner_route("/calendar/changes", scope=READ)
def calendar_changes(p):
    return calendar.calendar_changes(p, _query())


@owner_route("/reminders", scope=READ)
def day_reminders(p):
    return reminder_list.day_reminders(p, _query())


@owner_route("/bookings", methods=["POST"], scope=WRITE_BOOKINGS)
def book_for_client(p):
    return calendar.book_for_client(p, _body(), admin.current_request.headers.get("idempotency-key"))


def _visit_action(p, appointment_id, act):
    """A desk action on a visit (a move, a cancellation, a mark): refused if If-Match is
    not its version now (moved, cancelled or marked on another device), once per
    Idempotency-Key — her second tap after a lost answer gets the visit as it is now, not
    a 409 of her own first tap. The answer is not kept with the key (it names the client)."""
    return _saved_once(
        p,
        lambda body, if_match: act(p, appointment_id, body, if_match),
        lambda: calendar.get_appointment(p, appointment_id),
    )


@owner_route("/appointments/{appointment_id}", scope=READ)
def get_appointment(p, appointment_id):
    return calendar.get_appointment(p, appointment_id)


@owner_route("/appointments/{appointment_id}/status", methods=["POST"], scope=WRITE_BOOKINGS)
def mark_visit(p, appointment_id):
    return _visit_action(p, appointment_id, calendar.mark_visit)


@owner_route("/appointments/{appointment_id}/cancel", methods=["POST"], scope=WRITE_BOOKINGS)
def cancel_visit(p, appointment_id):
    return _visit_action(p, appointment_id, calendar.cancel_visit)


# Money: the owner's (or staff's) own hand only, never an integration's key.
@owner_route("/appointments/{appointment_id}/fees", methods=["POST"], scope=None)
def charge_fee(p, appointment_id):
    """A no-show or late-cancellation fee to the card on file, once per booking and kind."""
    from chalicelib.services.admin import money

    return money.charge_fee(p, appointment_id, _body())


@owner_route("/appointments/{appointment_id}/fees/{kind}/waive", methods=["POST"], scope=None)
def waive_fee(p, appointment_id, kind):
    from chalicelib.services.admin import money

    return money.waive_fee(p, appointment_id, kind, _body())


@owner_route("/appointments/{appointment_id}/refund", methods=["POST"], scope=None)
def refund(p, appointment_id):
    from chalicelib.services.admin import money

    # Once per Idempotency-Key: her second tap after a lost answer is the same refund, not
    # another — nor after a failure whose outcome is not known (outcome_unknown).
    return _saved_once(p, lambda body, _if_match: money.refund(p, appointment_id, body), money=True)


@owner_route("/refunds/due", scope=None)
def refunds_due(p):
    """What the owner is to give back herself: visits the salon cancelled that still hold
    what the client paid, and refunds Stripe failed."""
    from chalicelib.services.admin import money

    return money.refunds_due(p)


@owner_route("/appointments/{appointment_id}/checkout", methods=["POST"], scope=None)
def checkout(p, appointment_id):
    """The rest of a visit paid at the desk (the deposit deducted), once; a receipt by email."""
    from chalicelib.services.admin import money

    return money.checkout(p, appointment_id, _body())


@owner_route("/appointments/{appointment_id}/reschedule", methods=["POST"], scope=WRITE_BOOKINGS)
def reschedule_visit(p, appointment_id):
    return _visit_action(p, appointment_id, calendar.reschedule)


@owner_route("/waitlist", scope=READ)
def waitlist_entries(p):
    return waitlist.entries(p, _query())


@owner_route("/waitlist", methods=["POST"], scope=WRITE_BOOKINGS)
def add_waitlist_entry(p):
    return 201, waitlist.add(p, _body())


@owner_route("/waitlist/kpis", scope=READ)
def waitlist_kpis(p):
    return waitlist.kpis(p, _query())


@owner_route("/waitlist/offers", scope=READ)
def waitlist_offers(p):
    return waitlist.offers(p, _query())


@owner_route("/waitlist/{entry_id}", methods=["PUT"], scope=WRITE_BOOKINGS)
def edit_waitlist_entry(p, entry_id):
    return waitlist.edit(p, entry_id, _body())


@owner_route("/waitlist/{entry_id}", methods=["DELETE"], scope=WRITE_BOOKINGS)
def remove_waitlist_entry(p, entry_id):
    waitlist.remove(p, entry_id)
    return Response(body="", status_code=204)


@owner_route("/webhooks", scope=None)
def list_webhooks(p):
    return webhooks.list_endpoints(p)


@owner_route("/webhooks", methods=["POST"], scope=None)
def create_webhook(p):
    return webhooks.create(p, _body())


@owner_route("/webhooks/{endpoint_id}", scope=None)
def get_webhook(p, endpoint_id):
    return webhooks.get(p, endpoint_id)


@owner_route("/webhooks/{endpoint_id}", methods=["PATCH"], scope=None)
def update_webhook(p, endpoint_id):
    return webhooks.update(p, endpoint_id, _body())


@owner_route("/webhooks/{endpoint_id}", methods=["DELETE"], scope=None)
def delete_webhook(p, endpoint_id):
    webhooks.delete(p, endpoint_id)
    return Response(body="", status_code=204)


@owner_route("/webhooks/{endpoint_id}/rotate-secret", methods=["POST"], scope=None)
def rotate_webhook_secret(p, endpoint_id):
    return webhooks.rotate_secret(p, endpoint_id)


@owner_route("/webhooks/{endpoint_id}/deliveries", scope=None)
def webhook_deliveries(p, endpoint_id):
    return webhooks.deliveries(p, endpoint_id, _query())


@owner_route("/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay", methods=["POST"], scope=None)
def replay_webhook_delivery(p, endpoint_id, delivery_id):
    return webhooks.replay(p, endpoint_id, delivery_id)


@owner_route("/time-off", methods=["POST"], scope=WRITE_BOOKINGS)
def add_time_off(p):
    return 201, time_off.create(p, _body())


@owner_route("/time-off", scope=READ)
def list_time_off(p):
    return time_off.list_blocks(p, _query())


@owner_route("/time-off/{time_off_id}", methods=["PUT"], scope=WRITE_BOOKINGS)
def edit_time_off(p, time_off_id):
    return time_off.edit(p, time_off_id, _body())


@owner_route("/time-off/{time_off_id}", methods=["DELETE"], scope=WRITE_BOOKINGS)
def delete_time_off(p, time_off_id):
    time_off.delete(p, time_off_id)
    return Response(body="", status_code=204)


@owner_route("/clients", scope=READ)
def list_clients(p):
    return registry.list_clients(p, _query())


@owner_route("/clients/{client_id}", scope=READ)
def get_client(p, client_id):
    return registry.get_profile(p, client_id)


@owner_route("/clients/{client_id}", methods=["PATCH"], scope=WRITE_CLIENTS)
def update_client(p, client_id):
    return _saved_once(
        p,
        lambda body, if_match: registry.update_profile(p, client_id, body, if_match),
        lambda: registry.saved_profile(p, client_id),
    )


@owner_route("/clients/{client_id}", methods=["DELETE"], scope=None)
def erase_client(p, client_id):
    return gdpr.erase(p, client_id)


@owner_route("/clients/{client_id}/signals/{code}/dismiss", methods=["POST", "DELETE"], scope=WRITE_CLIENTS)
def dismiss_signal(p, client_id, code):
    # DELETE: the dismissal undone, the warning shown again.
    return standing.dismiss(p, client_id, code, undo=admin.current_request.method == "DELETE")


@owner_route("/clients/{client_id}/history", scope=READ)
def client_history(p, client_id):
    return registry.get_history(p, client_id)


@owner_route("/clients/{client_id}/stats", scope=READ)
def client_stats(p, client_id):
    return registry.get_stats(p, client_id)


@owner_route("/clients/{client_id}/loyalty", scope=READ)
def client_loyalty(p, client_id):
    return stamps.get_card(p, client_id)


@owner_route("/clients/{client_id}/loyalty/adjustments", methods=["POST"], scope=None)
def adjust_stamps(p, client_id):
    return 201, stamps.adjust(p, client_id, _body())


@owner_route("/clients/{client_id}/messages", methods=["POST"], scope=WRITE_CLIENTS)
def send_personal_message(p, client_id):
    return messages.send_personal(p, client_id, _body())


# The message sheet's, by the owner's or staff's sign-in only (API keys: not_for_api_keys).
@owner_route("/clients/{client_id}/messages/preview", methods=["POST"], scope=None)
def preview_personal_message(p, client_id):
    return messages.preview_personal(p, client_id, _body())


@owner_route("/messages/failed", scope=READ)
def failed_messages(p):
    return messages.failed(p, _query())


@owner_route("/kpis", scope=READ)
def kpis(p):
    return kpi_report.report(p, _query())


@owner_route("/kpis/summary", scope=READ)
def kpis_summary(p):
    return kpi_report.summary(p)


@owner_route("/clients/{client_id}/consents", scope=READ)
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


@owner_route("/export/clients.csv", scope=None)
def export_clients_csv(p):
    return _csv_file(csv_export.clients_csv(p))


@owner_route("/export/appointments.csv", scope=None)
def export_appointments_csv(p):
    return _csv_file(csv_export.appointments_csv(p, _query()))


@owner_route("/clients/{client_id}/export", scope=None)
def export_client(p, client_id):
    return gdpr.export(p, client_id)


@owner_route("/clients/{client_id}/notes", scope=READ)
def list_notes(p, client_id):
    return registry.list_notes(p, client_id)


@owner_route("/clients/{client_id}/notes", methods=["POST"], scope=WRITE_CLIENTS)
def add_note(p, client_id):
    return _saved_once(
        p,
        lambda body, _if_match: registry.add_note(p, client_id, body),
        lambda: registry.note_added(p, client_id, _body()),
    )


@owner_route("/clients/{client_id}/follow-ups", scope=READ)
def client_followups(p, client_id):
    return followups.for_client(p, client_id)


@owner_route("/clients/{client_id}/follow-ups", methods=["POST"], scope=WRITE_CLIENTS)
def add_followup(p, client_id):
    # Once per Idempotency-Key: her second tap after a lost answer is the same follow-up.
    key = admin.current_request.headers.get("idempotency-key")
    return _saved_once(
        p,
        lambda body, _if_match: followups.create(p, client_id, body, key),
        lambda: followups.created_again(p, client_id, key or ""),
    )


@owner_route("/clients/{client_id}/follow-ups/{followup_id}", methods=["PUT"], scope=WRITE_CLIENTS)
def update_followup(p, client_id, followup_id):
    return _saved_once(
        p,
        lambda body, if_match: followups.update(p, client_id, followup_id, body, if_match),
        lambda: followups.current(p, client_id, followup_id),
    )


@owner_route("/follow-ups/due", scope=READ)
def followups_due(p):
    return followups.due(p, _query())


@owner_route("/retention", scope=READ)
def slipping_clients(p):
    return retention_list.slipping(p, _query())


@owner_route("/feedback", scope=READ)
def feedback(p):
    return feedback_report.report(p, _query())


@owner_route("/calendar-feeds", scope=None)
def list_feeds(p):
    return feeds.list_feeds(p)


@owner_route("/calendar-feeds/{feed}/rotate", methods=["POST"], scope=None)
def rotate_feed(p, feed):
    return feeds.rotate(p, feed)


@owner_route("/audit", scope=None)
def audit_trail(p):
    return gdpr.audit_trail(p, _query())


@owner_route("/floods", scope=None)
def list_floods(p):
    return floods.list_floods(p)


@owner_route("/floods/{flood_id}/release", methods=["POST"], scope=None)
def release_flood(p, flood_id):
    return floods.release(p, flood_id)


@owner_route("/api-keys", scope=None)
def list_api_keys(p):
    return api_keys.list_keys(p)


@owner_route("/api-keys", methods=["POST"], scope=None)
def create_api_key(p):
    return 201, api_keys.create(p, _body())


@owner_route("/api-keys/{key_id}", methods=["DELETE"], scope=None)
def revoke_api_key(p, key_id):
    return api_keys.revoke(p, key_id)
