"""The authorization matrix, for every owner endpoint: no token, an expired token, a
forged signature, a token for another audience, another business, and staff vs owner."""

from __future__ import annotations

import time

import pytest

from tests.admin.helpers import call
from tests.api.helpers import book
from tests.conftest import owner_token

# Every owner route: (method, path template, body). The test below fails when a route
# is added to the app without being added here.
# A suspected flood's id (its kind and hash); the owner's release of an unknown one is a 404.
FLOOD = "ip." + "0" * 32
WAITING = {
    "service": "womens-cut",
    "from": "2026-11-25",
    "to": "2026-11-26",
    "client": {"name": "Waiting Wilma", "phone": "040 999 0000"},
}
ROUTES: list[tuple[str, str, dict | None]] = [
    ("GET", "/me", None),
    ("GET", "/business", None),
    ("PUT", "/business", {"config": {}}),
    ("GET", "/settings", None),
    ("PUT", "/settings/rules", {"max_horizon_days": 60}),
    ("GET", "/calendar?date=2026-11-25", None),
    ("GET", "/calendar/changes?since=20261123-20261129-0000000000000000", None),
    ("GET", "/reminders?date=2026-11-25", None),
    (
        "POST",
        "/bookings",
        {"service": "womens-cut", "staff": "aino", "start": "2026-11-26T12:00:00+02:00", "client_id": "{client}"},
    ),
    ("GET", "/appointments/{appointment}", None),
    ("POST", "/appointments/{appointment}/status", {"status": "arrived"}),
    ("POST", "/appointments/{appointment}/checkout", {"method": "cash"}),
    ("POST", "/appointments/{appointment}/fees", {"kind": "no_show"}),
    ("POST", "/appointments/{appointment}/fees/no_show/waive", {"reason": "flu"}),
    ("POST", "/appointments/{appointment}/refund", {"reason": "sorry"}),
    ("GET", "/refunds/due", None),
    ("GET", "/clients", None),
    ("GET", "/clients/{client}", None),
    ("PATCH", "/clients/{client}", {"allergies": "none"}),
    ("DELETE", "/clients/{client}", None),
    ("GET", "/clients/{client}/history", None),
    ("POST", "/clients/{client}/signals/no_show/dismiss", None),
    ("DELETE", "/clients/{client}/signals/no_show/dismiss", None),
    ("GET", "/clients/{client}/stats", None),
    ("GET", "/clients/{client}/consents", None),
    ("GET", "/clients/{client}/loyalty", None),
    ("POST", "/clients/{client}/loyalty/adjustments", {"stamps": 1, "reason": "Paid visit at the fair"}),
    ("GET", "/clients/{client}/export", None),
    ("GET", "/export/clients.csv", None),
    ("GET", "/export/appointments.csv?from=2026-11-01&to=2026-11-30", None),
    ("GET", "/clients/{client}/notes", None),
    ("POST", "/clients/{client}/notes", {"text": "Prefers mornings"}),
    ("GET", "/clients/{client}/follow-ups", None),
    ("POST", "/clients/{client}/follow-ups", {"goal": "Healthier hair"}),
    ("PUT", "/clients/{client}/follow-ups/{followup}", {"goal": "Healthier hair", "closed": True}),
    ("GET", "/follow-ups/due", None),
    ("GET", "/feedback", None),
    ("GET", "/retention", None),
    ("GET", "/calendar-feeds", None),
    ("POST", "/calendar-feeds/aino/rotate", None),
    ("GET", "/audit", None),
    ("POST", "/appointments/{later}/reschedule", {"start": "2026-11-27T14:00:00+02:00", "notify": False}),
    ("POST", "/appointments/{later}/cancel", {"reason": "Called in sick"}),
    ("POST", "/time-off", {"staff": "mikko", "start": "2026-12-01T10:00", "end": "2026-12-01T11:00"}),
    ("GET", "/time-off", None),
    ("PUT", "/time-off/{timeoff}", {"staff": "sanna", "start": "2026-12-03T10:00", "end": "2026-12-03T11:00"}),
    ("DELETE", "/time-off/{timeoff}", None),
    ("POST", "/clients/{client}/messages/preview", {"text": "We have new evening times, welcome back!"}),
    ("POST", "/clients/{client}/messages", {"text": "We have new evening times, welcome back!"}),
    ("GET", "/messages/failed", None),
    ("GET", "/kpis?period=2026-11", None),
    ("GET", "/kpis/summary", None),
    ("POST", "/imports", {"csv": "Name,Email\nAnna,anna@example.com\n"}),
    ("GET", "/imports/{import}", None),
    ("POST", "/imports/{import}/run", None),
    ("GET", "/floods", None),
    ("POST", f"/floods/{FLOOD}/release", None),
    ("GET", "/webhooks", None),
    ("POST", "/webhooks", {"url": "https://hooks.example.com/rebook", "events": ["client.erased"]}),
    ("GET", "/webhooks/{webhook}", None),
    ("PATCH", "/webhooks/{webhook}", {"description": "CRM"}),
    ("POST", "/webhooks/{webhook}/rotate-secret", None),
    ("GET", "/webhooks/{webhook}/deliveries", None),
    ("POST", "/webhooks/{webhook}/deliveries/{delivery}/replay", None),
    ("DELETE", "/webhooks/{webhook}", None),
    ("GET", "/api-keys", None),
    ("POST", "/api-keys", {"name": "Website", "scopes": ["read"]}),
    ("DELETE", "/api-keys/{apikey}", None),
    ("GET", "/waitlist", None),
    ("POST", "/waitlist", WAITING),
    ("GET", "/waitlist/offers", None),
    ("GET", "/waitlist/kpis", None),
    ("PUT", "/waitlist/{entry}", WAITING),
    ("DELETE", "/waitlist/{entry}", None),
]
# What staff may not do: export, erase, the audit trail, the business's settings,
# stamp-card corrections, the business's figures and dismissing a client's warning.
OWNER_ONLY = {
    ("GET", "/business"),
    ("POST", "/clients/{client}/signals/no_show/dismiss"),
    ("DELETE", "/clients/{client}/signals/no_show/dismiss"),
    ("PUT", "/business"),
    ("PUT", "/settings/rules"),
    ("DELETE", "/clients/{client}"),
    ("POST", "/clients/{client}/loyalty/adjustments"),
    ("GET", "/clients/{client}/export"),
    ("GET", "/export/clients.csv"),
    ("GET", "/export/appointments.csv"),
    ("POST", "/calendar-feeds/aino/rotate"),
    ("GET", "/audit"),
    ("GET", "/kpis"),
    ("GET", "/kpis/summary"),
    ("POST", "/imports"),
    ("GET", "/imports/{import}"),
    ("POST", "/imports/{import}/run"),
    ("GET", "/floods"),
    ("POST", f"/floods/{FLOOD}/release"),
    ("GET", "/webhooks"),
    ("POST", "/webhooks"),
    ("GET", "/webhooks/{webhook}"),
    ("PATCH", "/webhooks/{webhook}"),
    ("POST", "/webhooks/{webhook}/rotate-secret"),
    ("GET", "/webhooks/{webhook}/deliveries"),
    ("POST", "/webhooks/{webhook}/deliveries/{delivery}/replay"),
    ("DELETE", "/webhooks/{webhook}"),
    ("POST", "/appointments/{appointment}/fees"),
    ("POST", "/appointments/{appointment}/fees/no_show/waive"),
    ("POST", "/appointments/{appointment}/refund"),
    ("GET", "/refunds/due"),
    ("GET", "/api-keys"),
    ("POST", "/api-keys"),
    ("DELETE", "/api-keys/{apikey}"),
    ("GET", "/waitlist/kpis"),
}
# Routes that address one client or appointment: another business gets a plain 404.
BY_ID = [r for r in ROUTES if "{" in r[1]]


@pytest.fixture
def ids(client, booked, desk):
    status, fup = desk.post(f"/clients/{booked['client']}/follow-ups", {"goal": "Grow it long"})
    assert status == 201
    status, later = book(client, "2026-11-27T12:00:00+02:00")
    assert status == 201
    status, block = desk.post("/time-off", {"staff": "sanna", "start": "2026-12-02T10:00", "end": "2026-12-02T11:00"})
    assert status == 201, block
    status, upload = desk.post("/imports", {"csv": "Name,Email\nAnna,anna@example.com\n"})
    assert status == 201
    status, hook = desk.post("/webhooks", {"url": "https://hooks.example.com/rebook", "events": ["client.erased"]})
    assert status == 201
    status, key = desk.post("/api-keys", {"name": "Website", "scopes": ["read"]})
    assert status == 201, key
    status, entry = desk.post("/waitlist", WAITING)
    assert status == 201, entry
    return {
        **booked,
        "apikey": key["id"],
        "followup": fup["id"],
        "later": later["id"],
        "timeoff": block["id"],
        "import": upload["id"],
        "entry": entry["id"],
        "webhook": hook["id"],
        "delivery": "msg_0000.0000",
    }


def fill(path: str, ids: dict) -> str:
    return path.format(**ids)


def fill_body(body, ids):
    if isinstance(body, dict):
        return {k: fill_body(v, ids) for k, v in body.items()}
    return fill(body, ids) if isinstance(body, str) and "{" in body else body


def test_every_owner_route_is_in_the_matrix():
    from app import app

    declared = {(m, p.split("?")[0].replace("{later}", "{appointment}")) for m, p, _ in ROUTES}
    for path, methods in app.routes.items():
        if path.startswith("/api/v1/admin"):
            for method in methods:
                template = (
                    path.removeprefix("/api/v1/admin")
                    .replace("{appointment_id}", "{appointment}")
                    .replace("{client_id}", "{client}")
                    .replace("{followup_id}", "{followup}")
                    .replace("{time_off_id}", "{timeoff}")
                    .replace("{feed}", "aino")
                    .replace("{section}", "rules")
                    .replace("{import_id}", "{import}")
                    .replace("{flood_id}", FLOOD)
                    .replace("{kind}", "no_show")
                    .replace("{key_id}", "{apikey}")
                    .replace("{code}", "no_show")
                    .replace("{entry_id}", "{entry}")
                    .replace("{endpoint_id}", "{webhook}")
                    .replace("{delivery_id}", "{delivery}")
                )
                assert (method, template) in declared, f"{method} {path} is missing from the matrix"


# Refused by the authorizer before any view runs: placeholder ids are enough.
PLACEHOLDERS = {
    "entry": "e0000000",
    "client": "c0000000",
    "appointment": "a0000000",
    "followup": "f0000000",
    "later": "a0000001",
    "timeoff": "t0000000",
    "import": "i0000000",
    "webhook": "w0000000",
    "delivery": "msg_0000.0000",
    "apikey": "k000000000000000",
}


def test_no_token_is_401_everywhere(client):
    for method, path, body in ROUTES:
        status, _ = call(
            client, method, "/api/v1/admin" + fill(path, PLACEHOLDERS), None, fill_body(body, PLACEHOLDERS)
        )
        assert status == 401, (method, path)


BAD_TOKENS = {
    "expired": lambda biz: owner_token(biz, now=time.time() - 7200, hours=1),
    "forged": lambda biz: owner_token(biz)[:-6] + ("AAAAAA" if not owner_token(biz).endswith("AAAAAA") else "BBBBBB"),
    "other audience": lambda biz: owner_token(biz, audience="someone-else"),
    "other issuer": lambda biz: owner_token(biz, issuer="https://evil.example"),
    "unknown role": lambda biz: owner_token(biz, role="admin"),
    "garbage": lambda biz: "not-a-jwt",
    "alg none": lambda biz: _unsigned(biz),
}


def _unsigned(biz):
    import jwt

    return jwt.encode(
        {
            "sub": "x",
            "iss": "rebook-test",
            "aud": "rebook-test-client",
            "iat": int(time.time()),
            "exp": int(time.time()) + 600,
            "custom:business_id": biz,
            "custom:role": "owner",
        },
        key="",
        algorithm="none",
    )


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
def test_invalid_tokens_are_refused_everywhere(client, aws, kind):
    token = BAD_TOKENS[kind](aws.id)
    for method, path, body in ROUTES:
        status, _ = call(
            client, method, "/api/v1/admin" + fill(path, PLACEHOLDERS), token, fill_body(body, PLACEHOLDERS)
        )
        assert status == 403, (method, path)


def test_another_business_gets_404_and_no_data(client, aws, other, ids):
    token = owner_token(other.id)
    for method, path, body in BY_ID:
        status, resp = call(client, method, "/api/v1/admin" + fill(path, ids), token, fill_body(body, ids))
        assert status == 404, (method, path, resp)
        assert resp["error"]["code"] == "not_found"
        assert ids["client"] not in str(resp) and "Maija" not in str(resp)
    # ...and nothing was changed: the owner still sees her client as she was.
    _, profile = call(client, "GET", f"/api/v1/admin/clients/{ids['client']}", owner_token(aws.id))
    assert profile["client"]["name"] == "Maija Meikäläinen" and profile["client"]["allergies"] is None


def test_another_business_never_sees_this_ones_data(client, aws, other, ids):
    token = owner_token(other.id)
    for method, path, body in [r for r in ROUTES if "{" not in r[1]]:
        status, resp = call(client, method, "/api/v1/admin" + fill(path, ids), token, fill_body(body, ids))
        assert status < 500, (method, path, resp)
        text = str(resp)
        assert ids["client"] not in text and ids["appointment"] not in text and "Maija" not in text, (method, path)
        assert aws.id not in text


def test_the_other_business_still_sees_its_own_clients(client, aws, other, ids):
    from tests.admin.helpers import Desk

    mine = Desk(client, other.id)
    status, body = call(
        client,
        "POST",
        "/api/v1/businesses/other-salon/bookings",
        None,
        {
            "service": "womens-cut",
            "staff": "aino",
            "start": "2026-11-25T12:00:00+02:00",
            "client": {"name": "Olli Other", "phone": "040 765 4321"},
        },
    )
    assert status == 201, body
    _, listed = mine.get("/clients")
    assert [c["name"] for c in listed["clients"]] == ["Olli Other"]


def test_staff_may_do_everything_but_export_erase_settings_and_audit(client, aws, ids, frozen_now):
    from datetime import datetime

    frozen_now["now"] = datetime.fromisoformat("2026-11-25T12:05:00+02:00")  # Maija has just arrived
    token = owner_token(aws.id, role="staff", staff_id="aino")
    for method, path, body in ROUTES:
        if (method, path) == ("PUT", "/business"):
            body = None
        status, resp = call(client, method, "/api/v1/admin" + fill(path, ids), token, fill_body(body, ids))
        if (method, path.split("?")[0]) in OWNER_ONLY:
            assert status == 403 and resp["error"]["code"] == "owner_only", (method, path, resp)
        else:
            assert status < 300, (method, path, resp)
        if (method, path) == ("PUT", "/time-off/{timeoff}"):
            ids = {**ids, "timeoff": resp["id"]}  # an edited block is a new one (docs/owner-api.md)


def test_a_token_for_a_business_that_does_not_exist_is_404(client, aws):
    status, resp = call(client, "GET", "/api/v1/admin/me", owner_token("nosuchbiz"))
    assert status == 404 and resp["error"]["code"] == "business_not_found"


def test_the_verifier_refuses_everything_when_not_configured(monkeypatch, env):
    from chalicelib.auth import jwt_verify
    from chalicelib.settings import reset_settings

    monkeypatch.delenv("REBOOK_AUTH_JWKS_FILE")
    reset_settings()
    with pytest.raises(jwt_verify.InvalidToken):
        jwt_verify.verify(owner_token("demo"))
