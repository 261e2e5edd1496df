"""Bad input to the owner API gets a clear 4xx in the API's error shape — never a 5xx,
whatever the body, the query or the ids in the path."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.admin.helpers import call
from tests.admin.test_authorization import PLACEHOLDERS, ROUTES, fill
from tests.conftest import owner_token

text = st.text(max_size=40)
scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text)
value = st.recursive(
    scalar, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)), max_leaves=8
)
FIELDS = [
    "name",
    "phone",
    "email",
    "birthday",
    "preferences",
    "allergies",
    "important_notes",
    "tags",
    "relationship",
    "marketing",
    "locale",
    "status",
    "text",
    "goal",
    "actions",
    "next_step",
    "closed",
    "service",
    "staff",
    "start",
    "client",
    "client_id",
    "config",
    "consents",
    "note",
]
bodies = st.one_of(st.dictionaries(st.sampled_from(FIELDS), value, max_size=5), value)
BODY_ROUTES = [(m, p) for m, p, b in ROUTES if m in ("POST", "PUT", "PATCH")]


@pytest.fixture
def owner(aws):
    return owner_token(aws.id)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(BODY_ROUTES), body=bodies)
def test_generated_bodies_never_cause_a_5xx(client, booked, owner, route, body):
    method, path = route
    ids = {
        **PLACEHOLDERS,
        "client": booked["client"],
        "appointment": booked["appointment"],
        "later": booked["appointment"],
    }
    status, resp = call(client, method, "/api/v1/admin" + fill(path, ids), owner, body)
    assert status < 500, (method, path, body, resp)
    if status >= 400:
        assert set(resp["error"]) >= {"code", "message", "fields"}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    params=st.dictionaries(
        st.sampled_from(
            ["date", "view", "staff", "q", "limit", "cursor", "until", "month", "client", "from", "to", "period"]
        ),
        st.text(max_size=30),
        max_size=4,
    ),
    path=st.sampled_from(
        ["/calendar", "/clients", "/follow-ups/due", "/audit", "/feedback", "/kpis", "/messages/failed"]
    ),
)
def test_generated_queries_never_cause_a_5xx(client, aws, owner, params, path):
    from urllib.parse import urlencode

    status, resp = call(client, "GET", f"/api/v1/admin{path}?{urlencode(params)}", owner)
    assert status < 500, (path, params, resp)


@pytest.mark.parametrize(
    "query",
    [
        # Ranges out of order: the store's query needs its bounds in order (500s a fuzzer found).
        "/waitlist?from=2026-12-20&to=2026-12-06",
        "/waitlist/offers?to=2000-01-01",
        "/waitlist/kpis?from=2027-01-06",
        "/waitlist?from=2026-01-01&to=2027-06-30",  # and a year and a half at once
        # Days at the calendar's ends: a day added, or a time zone applied, ran off it.
        "/calendar?date=9999-12-31",
        "/calendar?date=0001-01-01&view=week",
        "/kpis?period=0000-01",
        "/kpis?period=9999-12",
        "/kpis?period=9999",
        "/feedback?from=0001-01-01&to=0001-01-01",
        "/time-off?from=9999-12-31&to=9999-12-31",
        "/export/appointments.csv?from=0001-01-01&to=0001-01-01",
        "/waitlist?from=9999-12-31&to=9999-12-31",
        "/waitlist/kpis?from=0001-01-01&to=0001-01-01",
        # More than a list gives: said, not quietly cut to its most.
        "/messages/failed?limit=201",
        "/clients?limit=0",
    ],
)
def test_dates_out_of_order_or_off_the_calendar_and_limits_too_big_are_422(client, aws, owner, query):
    status, resp = call(client, "GET", f"/api/v1/admin{query}", owner)
    assert status == 422, (query, status, resp)
    assert set(resp["error"]) >= {"code", "message", "fields"}


@pytest.mark.parametrize("weird", ["x" * 300, "ÄÖ", "a b", "..", "%00", "CLIENT%23abc", "<script>"])
def test_odd_ids_in_the_path_are_404(client, aws, owner, weird):
    for method, path, body in ROUTES:
        if "{" not in path:
            continue
        ids = dict.fromkeys(PLACEHOLDERS, weird)
        status, resp = call(client, method, "/api/v1/admin" + fill(path, ids), owner, body)
        assert status in (400, 404, 422), (method, path, status, resp)


def test_bad_json_is_400(client, aws, owner):
    r = client.http.patch(
        "/api/v1/admin/clients/abc",
        body="{nope",
        headers={"Authorization": f"Bearer {owner}", "Content-Type": "application/json"},
    )
    assert r.status_code == 400 and json.loads(r.body)["error"]["code"] == "invalid_json"


def _constrained_optional_queries() -> list[tuple[str, str]]:
    """The owner API's optional query parameters whose schema has no room for an empty
    value (a format, pattern, enum or number), as the contract lists them."""
    from tests.contract.fuzzing import document

    found = []
    for path, item in document()["paths"].items():
        for param in (item.get("get") or {}).get("parameters", []):
            schema = param.get("schema") or {}
            roomy = schema.get("type") == "string" and not {"format", "pattern", "enum", "minLength"} & set(schema)
            optional = param.get("in") == "query" and not param.get("required")
            if path.startswith("/api/v1/admin/") and optional and not roomy:
                found.append((path, param["name"]))
    return found


@pytest.mark.parametrize(("path", "name"), _constrained_optional_queries())
def test_an_optional_query_parameter_sent_empty_is_as_one_not_sent_and_the_contract_says_so(
    client, aws, owner, path, name
):
    # Reviewer R1: `?date=`, `?month=`, `?to=` answered 200 where the contract's format or
    # pattern said no value like that is allowed: the code treats it as not sent (its
    # default, common.parse_date, page_limit), the contract now says so.
    from tests.contract.fuzzing import document

    [param] = [q for q in document()["paths"][path]["get"]["parameters"] if q.get("name") == name]
    assert param.get("allowEmptyValue") is True, (path, name)
    if "{" in path:  # a webhook's deliveries: its own tests (an endpoint of one's own)
        return
    sent, unsent = (call(client, "GET", f"{path}{query}", owner) for query in (f"?{name}=", ""))
    assert sent[0] == unsent[0] == 200, (path, name, sent)
    assert sent[1] == unsent[1], (path, name)
