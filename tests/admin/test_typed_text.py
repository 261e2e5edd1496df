"""What the desk types into the owner API — a note about her, a personal message, a
follow-up, a reason for a stamp, a waiver, a refund or time off, an API key's or a
webhook's name — keeps the rule a client's own name keeps (domain/plaintext.py): a NUL or
a turning character is a 422 on its field, and nothing is written."""

from __future__ import annotations

import pytest

BAD_LINE, BAD_NOTES = "Kahvi\u0000\u202emusta", "Rivi 1\nRivi\u0007 2"
ONE_LINE, CONTROL = "one line without control characters", "control characters"

CASES = [
    ("/clients/{client}/notes", {"text": BAD_NOTES}, "text", CONTROL),
    ("/clients/{client}/messages", {"text": BAD_NOTES}, "text", CONTROL),
    ("/clients/{client}/follow-ups", {"goal": "Terveemmät\u2066 hiukset"}, "goal", "invisible"),
    ("/clients/{client}/follow-ups", {"actions": [{"text": BAD_LINE}]}, "actions.0.text", CONTROL),
    ("/clients/{client}/follow-ups", {"next_step": BAD_NOTES}, "next_step", CONTROL),
    ("/clients/{client}/loyalty/adjustments", {"stamps": 1, "reason": BAD_LINE}, "reason", ONE_LINE),
    ("/appointments/{appointment}/fees/no_show/waive", {"reason": BAD_NOTES}, "reason", CONTROL),
    ("/appointments/{appointment}/refund", {"reason": BAD_NOTES}, "reason", CONTROL),
    (
        "/time-off",
        {"staff": "aino", "start": "2026-12-02T10:00", "end": "2026-12-02T11:00", "reason": BAD_LINE},
        "reason",
        ONE_LINE,
    ),
    ("/api-keys", {"name": BAD_LINE, "scopes": ["read"]}, "name", ONE_LINE),
    (
        "/webhooks",
        {"url": "https://hooks.example.com/rebook", "events": ["client.erased"], "description": BAD_LINE},
        "description",
        ONE_LINE,
    ),
]


@pytest.mark.parametrize(("path", "body", "field", "says"), CASES, ids=[f"{c[0]}:{c[2]}" for c in CASES])
def test_text_the_desk_types_with_control_or_turning_characters_is_refused_on_its_field(
    desk, booked, path, body, field, says
):
    from tests.api.helpers import table_items

    before = len(table_items())
    status, answer = desk.post(path.format(**booked), body)
    assert status == 422 and list(answer["error"]["fields"]) == [field], answer
    assert says in answer["error"]["fields"][field]
    assert len(table_items()) == before  # nothing written, not even an audit entry


def test_the_same_texts_keep_their_lines_and_an_emoji_family(desk, booked):
    note = "Pitää kahvista 👩\u200d👧\nEi ammoniakkia"
    status, answer = desk.post(f"/clients/{booked['client']}/notes", {"text": note})
    assert status == 201 and answer["text"] == note, answer
    status, answer = desk.post(
        f"/clients/{booked['client']}/follow-ups", {"goal": note, "actions": [{"text": "Soita 👩\u200d👧"}]}
    )
    assert status in (200, 201), answer
