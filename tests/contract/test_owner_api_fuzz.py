"""Schemathesis fuzzes the owner API (/api/v1/admin) against its contract, signed in as
the owner: every operation of docs/openapi.yaml under /api/v1/admin, a small bounded,
derandomized run each (the same cases every time: the document's examples and fuzzed
values, valid and invalid). Checks: no 5xx, every status code documented, every answer
conforms to its schema (errors to the error shape).

In process, as the public API's fuzz (tests/contract/test_public_api_fuzz.py): the app on
moto with the demo salon and the clock frozen, behind the stand-in for API Gateway. It
runs in every `make test`, so it is cheap on purpose: one stage (table, salon, the ids
below) for all the operations, as on a live stage, and no coverage phase (the
boundaries of every field of every body: twenty times the cases; the public API's fuzz
has it). The ids in paths are stand-ins swapped for real ones (a booked client and her
appointment, a follow-up, time off, an import, an API key) so that the happy paths run
too, not only 404s; the operations that end something (erase, cancel, move) get one of
their own."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from tests.contract.fuzzing import document, fuzzed

MAX_EXAMPLES = 8
STAND_IN = "live-"
IDS = {
    "AppointmentId": "appointment",
    "ClientId": "client",
    "FollowupId": "followup",
    "TimeOffId": "timeoff",
    "ImportId": "import",
    "KeyId": "apikey",
}
# Operations that would spoil the shared ids for the rest: each has its own.
OWN = {
    ("DELETE", "/api/v1/admin/clients/{client_id}"): {"client": "erasable"},
    ("POST", "/api/v1/admin/appointments/{appointment_id}/cancel"): {"appointment": "cancellable"},
    ("POST", "/api/v1/admin/appointments/{appointment_id}/reschedule"): {"appointment": "movable"},
}


def contract() -> dict:
    """The owner operations only, each id parameter with a stand-in example."""
    doc = document()
    doc["paths"] = {p: ops for p, ops in doc["paths"].items() if p.startswith("/api/v1/admin/")}
    for name, what in IDS.items():
        doc["components"]["parameters"][name]["example"] = STAND_IN + what
    return doc


schema = fuzzed(contract(), MAX_EXAMPLES, coverage=False, with_security_parameters=False)


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
def test_the_owner_api_keeps_its_contract_whatever_it_is_sent(case, stage):
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

    ids, desk = stage
    own = OWN.get((case.method.upper(), case.path), {})
    for name, value in list((case.path_parameters or {}).items()):
        if isinstance(value, str) and value.startswith(STAND_IN):
            what = value.removeprefix(STAND_IN)
            case.path_parameters[name] = ids[own.get(what, what)]
    case.call_and_validate(
        headers={"Authorization": f"Bearer {desk.token}"},
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )


def test_a_client_id_of_a_line_break_is_her_route_not_the_lists(stage):
    """A client id the fuzz once sent, "%0D": urllib drops a line break from a URL, so the
    stand-in for API Gateway answered PATCH /clients/ as the list's route (405, a code
    the contract does not have). API Gateway matches the client's route; so does the
    stand-in now, and the app answers it as any unknown client."""
    import io
    import json

    from tests.contract.gateway import ChaliceWSGI

    def app():
        from app import app as chalice_app

        return chalice_app

    _, desk = stage
    for path in ("%0D", "%09", "%0A", "a%0Db"):
        environ = {
            "REQUEST_METHOD": "PATCH",
            "RAW_URI": f"/api/v1/admin/clients/{path}",
            "HTTP_AUTHORIZATION": f"Bearer {desk.token}",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": "2",
            "wsgi.input": io.BytesIO(b"{}"),
        }
        status, _, body = ChaliceWSGI(app).handle(environ)
        assert (status, json.loads(body)["error"]["code"]) == (404, "not_found"), (path, body)
