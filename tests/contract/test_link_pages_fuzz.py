"""Schemathesis fuzzes the pages of the links in clients' messages (manage, hold,
feedback, unsubscribe, stamp card: HTML and forms) against docs/openapi.yaml: no 5xx,
every status documented, each answer of its documented type. As the owner API's fuzz
(test_owner_api_fuzz.py): one stage per module (tests/contract/conftest.py), a few
derandomized cases per operation, no coverage phase; the token in each path is a real
link's of the right kind, so the pages render and their forms act."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from tests.contract.fuzzing import document, fuzzed

MAX_EXAMPLES = 6
LINK_PAGES = ("/m/", "/h/", "/f/", "/u/", "/l/")
STAND_IN = "live-link"
# The link each page takes; cancelling has a booking of its own, so the others still
# act on a booked one.
TOKEN_OF = {"/m/": "manage-appointment", "/h/": "hold", "/f/": "feedback", "/u/": "unsubscribe", "/l/": "card"}
OWN = {("POST", "/m/{token}/cancel"): "manage-cancellable", ("POST", "/m/{token}/reschedule"): "manage-movable"}


def contract() -> dict:
    doc = document()
    doc["paths"] = {p: ops for p, ops in doc["paths"].items() if p.startswith(LINK_PAGES)}
    doc["components"]["parameters"]["Token"]["example"] = STAND_IN
    return doc


schema = fuzzed(contract(), MAX_EXAMPLES, coverage=False)


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
def test_the_link_pages_keep_their_contract_whatever_they_are_sent(case, stage):
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

    ids, _ = stage
    if (case.path_parameters or {}).get("token") == STAND_IN:
        kind = OWN.get((case.method.upper(), case.path)) or TOKEN_OF[case.path[:3]]
        case.path_parameters["token"] = ids[kind]
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance, content_type_conformance])
