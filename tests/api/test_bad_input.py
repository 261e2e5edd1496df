"""Bad input gets a clear 4xx in one shape, never a 500, and writes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.helpers import JSON, book, booking_body, get, post, table_items, token_of

BOOKINGS = "/api/v1/businesses/demo/bookings"
GOOD = "2026-11-25T12:00:00+02:00"


def assert_response(response, expected_status, field=None):
    status, body = response
    assert_error(status, body, expected_status, field)


def assert_error(status, body, expected_status, field=None):
    assert status == expected_status, body
    assert set(body["error"]) >= {"code", "message", "fields"}
    assert body["error"]["message"]
    if field:
        assert field in body["error"]["fields"], body


def only_config_items():
    return [
        i for i in table_items() if not i["pk"]["S"].startswith(("SLUG#",)) and i["sk"]["S"] not in ("CONFIG", "LOADED")
    ]


@pytest.mark.parametrize(
    "body,field",
    [
        (booking_body(GOOD, service="perm"), "service"),
        (booking_body(GOOD, staff="nobody"), "staff"),
        (booking_body(GOOD, staff="mikko"), "staff"),  # does not do women's cuts
        (booking_body("2026-11-25T12:05:00+02:00"), "start"),  # off the 15-minute grid
        (booking_body("2026-11-25T07:00:00+02:00"), "start"),  # before opening
        (booking_body("2026-11-22T12:00:00+02:00"), "start"),  # in the past
        (booking_body("2026-11-23T11:00:00+02:00"), "start"),  # inside the 2 h notice
        (booking_body("2027-06-01T12:00:00+03:00"), "start"),  # beyond the 90-day horizon
        (booking_body("2026-11-25T12:00:00"), "start"),  # no offset
        (booking_body("tomorrow"), "start"),
        (booking_body("9999-12-31T23:59:00-05:00"), "start"),  # past the calendar's end in UTC
        (booking_body("0001-01-01T00:30:00+02:00"), "start"),  # before its start
        (booking_body(GOOD, phone="12345"), "client.phone"),
        (booking_body(GOOD, email="not-an-email"), "client.email"),
        # Taken, it could never be sent to (no SMTPUTF8): she would hear nothing, ever.
        (booking_body(GOOD, email="müller@exämple.com"), "client.email"),
        (booking_body(GOOD, phone=None, email=None), "client"),
        (booking_body(GOOD, name="x" * 101), "client.name"),
        (booking_body(GOOD, note="x" * 501), "note"),
        (booking_body(GOOD, note="kiitos\u0000"), "note"),  # a NUL the messages and feeds would carry
        (booking_body(GOOD, note="\u202ekiitos"), "note"),  # text turned around
        (booking_body(GOOD, consents={"marketing": "yes"}), "consents.marketing"),
        (booking_body(GOOD, extra_field=1), "extra_field"),
        ({"service": "womens-cut"}, "start"),
    ],
)
def test_invalid_booking_is_422_with_the_field(client, body, field):
    status, resp = post(client, BOOKINGS, body)
    assert_error(status, resp, 422, field)
    assert only_config_items() == []


def test_bad_json_is_400(client):
    status, body = post(client, BOOKINGS, raw="{not json")
    assert_error(status, body, 400)
    assert body["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("raw", ["[]", "42", '"text"', "null"])
def test_non_object_body_is_400(client, raw):
    status, body = post(client, BOOKINGS, raw=raw)
    assert_error(status, body, 400)


@pytest.mark.parametrize("raw", ["[" * 5000, '{"a":' * 3000, '{"client": ' + "[" * 17 + "]" * 17 + "}"])
def test_deeply_nested_json_is_400_not_500(client, raw):
    status, body = post(client, BOOKINGS, raw=raw)
    assert_error(status, body, 400)
    assert body["error"]["code"] == "invalid_json"
    assert only_config_items() == []


def test_a_number_of_thousands_of_digits_is_400_not_500(client):
    # Python refuses to read an integer of over 4 300 digits: a 5 KB body, under the size limit.
    status, body = post(client, BOOKINGS, raw='{"service": ' + "9" * 5000 + "}")
    assert_error(status, body, 400)
    assert body["error"]["code"] == "invalid_json"
    assert "sys." not in body["error"]["message"] and "number" in body["error"]["message"], body  # not Python's words
    assert only_config_items() == []


def test_brackets_inside_strings_do_not_count_as_nesting(client):
    status, body = post(client, BOOKINGS, booking_body(GOOD, note="[[[[{{{{" * 10))
    assert status == 201, body


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x"])
def test_another_content_type_is_415_in_the_error_shape(client, content_type):
    r = client.http.post(BOOKINGS, body=json.dumps(booking_body(GOOD)), headers={"Content-Type": content_type})
    body = json.loads(r.body)
    assert_error(r.status_code, body, 415)
    assert body["error"]["code"] == "unsupported_media_type"
    assert only_config_items() == []


def test_another_method_is_405_in_the_error_shape(client):
    r = client.http.put(BOOKINGS, body="{}", headers=JSON)
    body = json.loads(r.body)
    assert_error(r.status_code, body, 405)
    assert body["error"]["code"] == "method_not_allowed"


def test_oversized_body_is_413(client):
    status, body = post(client, BOOKINGS, booking_body(GOOD, note="x" * 20000))
    assert_error(status, body, 413)


def test_bad_idempotency_key_is_400(client):
    status, body = book(client, GOOD, headers={"Idempotency-Key": "x" * 200})
    assert_error(status, body, 400, "Idempotency-Key")


@pytest.mark.parametrize(
    "query,field",
    [
        ("service=womens-cut&from=2026-11-25&to=2026-12-26", "to"),  # 32 days
        ("service=womens-cut&from=2026-11-25", "to"),
        ("service=womens-cut&from=25.11.2026&to=2026-11-26", "from"),
        ("service=womens-cut&from=2026-11-26&to=2026-11-25", "to"),
        ("service=perm&from=2026-11-25&to=2026-11-25", "service"),
        ("service=womens-cut&from=2026-11-25&to=2026-11-25&staff=mikko", "staff"),
        ("service=womens-cut&from=2026-11-25&to=2026-11-25&foo=1", "foo"),
        # The calendar's own last day: a day added ran off it (a 500 a fuzzer found).
        ("service=womens-cut&from=9999-12-31&to=9999-12-31", "from"),
        ("service=womens-cut&from=0001-01-01&to=0001-01-01", "from"),
    ],
)
def test_invalid_availability_query_is_422(client, query, field):
    status, body = get(client, f"/api/v1/businesses/demo/availability?{query}")
    assert_error(status, body, 422, field)


def test_a_query_parameter_given_twice_is_400_naming_it(client):
    # Before, the last one was taken unsaid: ?service=mens-cut&service=womens-cut gave the
    # second service's times to a widget that asked for both.
    query = "service=mens-cut&service=womens-cut&from=2026-11-24&to=2026-11-25"
    status, body = get(client, f"/api/v1/businesses/demo/availability?{query}")
    assert status == 400 and body["error"]["code"] == "repeated_parameter", body
    assert body["error"]["fields"] == {"service": "given more than once"}


def test_31_days_is_allowed(client):
    status, _ = get(client, "/api/v1/businesses/demo/availability?service=mens-cut&from=2026-11-24&to=2026-12-24")
    assert status == 200


@pytest.mark.parametrize("token", ["garbage", "m.a.b.c.d", "x" * 300])
def test_forged_token_is_404(client, token):
    status, body = get(client, f"/api/v1/bookings/{token}")
    assert_error(status, body, 404)
    assert_response(post(client, f"/api/v1/bookings/{token}/cancel"), 404)


def test_tampered_and_expired_tokens(client, frozen_now):
    _, booked = book(client, GOOD)
    token = booked["manage_url"].rsplit("/", 1)[1]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert get(client, f"/api/v1/bookings/{tampered}")[0] == 404
    frozen_now["now"] += timedelta(days=40)
    status, body = get(client, f"/api/v1/bookings/{token}")
    assert status == 404 and body["error"]["code"] == "token_expired"


def test_other_purpose_token_is_refused(client, aws):
    from chalicelib.domain.tokens import make_token

    _, booked = book(client, GOOD)
    appt_id = booked["id"]
    feedback = make_token("test-secret-please-ignore", "feedback", aws.id, appt_id, datetime(2027, 1, 1, tzinfo=UTC))
    status, body = post(client, f"/api/v1/bookings/{feedback}/cancel")
    assert status == 404 and body["error"]["code"] == "token_wrong_purpose"


def test_reschedule_validation(client):
    _, booked = book(client, GOOD)
    token = booked["manage_url"].rsplit("/", 1)[1]
    assert_response(post(client, f"/api/v1/bookings/{token}/reschedule", {}), 422, "start")
    assert_response(
        post(client, f"/api/v1/bookings/{token}/reschedule", {"start": "2026-11-25T03:00:00+02:00"}), 422, "start"
    )
    assert_response(post(client, f"/api/v1/bookings/{token}/reschedule", raw="nope"), 400)


# --- property: no generated body ever causes a 5xx, and failures write nothing -------
text = st.text(max_size=60)
maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text)
client_obj = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(text, json_scalar),
        "phone": st.one_of(st.sampled_from(["040 123 4567", "+3584", "0"]), text),
        "email": st.one_of(st.sampled_from(["a@b.fi", "x@", "@"]), text),
        "locale": st.one_of(st.sampled_from(["fi", "sv", "en", "de"]), text),
    },
)
bodies = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "service": st.one_of(st.sampled_from(["womens-cut", "mens-cut", "colour", "perm"]), json_scalar),
            "staff": st.one_of(st.sampled_from(["aino", "mikko", "sanna", "x"]), json_scalar),
            "start": st.one_of(
                st.sampled_from([GOOD, "2026-11-25T12:00:00Z", "2026-13-01T00:00:00+02:00", "", "2026-11-25"]),
                json_scalar,
            ),
            "client": st.one_of(client_obj, json_scalar),
            "consents": st.one_of(st.fixed_dictionaries({"marketing": json_scalar}), json_scalar),
            "note": maybe(text),
        },
    ),
    st.lists(json_scalar, max_size=3),
    json_scalar,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_generated_bodies_never_cause_a_5xx(client, body):
    r = client.http.post(BOOKINGS, body=json.dumps(body), headers=JSON)
    assert r.status_code < 500, r.body
    payload = json.loads(r.body)
    if r.status_code >= 400:
        assert set(payload["error"]) >= {"code", "message", "fields"}


@pytest.mark.parametrize("reason", ["flu\u0000", "\u202eulf", "x" * 501])
def test_a_cancellation_reason_with_control_or_turning_characters_is_422_and_cancels_nothing(client, reason):
    _, booked = book(client, GOOD)
    token = token_of(booked["manage_url"])
    status, body = post(client, f"/api/v1/bookings/{token}/cancel", {"reason": reason})
    assert_error(status, body, 422, "reason")
    assert post(client, f"/api/v1/bookings/{token}/cancel", {"reason": "flu\nfever"})[0] == 200  # lines are fine
