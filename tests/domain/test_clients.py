"""What a booking records about its client, and a follow-up's due date."""

from __future__ import annotations

from datetime import UTC, date, datetime

from chalicelib.domain.clients import ClientMatch, booked_client, foreign_contact
from chalicelib.domain.registry import FollowUp, FollowUpAction

END = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)


def booked(match: ClientMatch, phone: str | None = "+358401234567", email: str | None = "m@example.com"):
    return booked_client(
        "b", match.client_id or "new", match, "Maija", phone, email, "fi", False, "web",
        active_until=END, erase_on=date(2029, 11, 25), referred_by=None,
    )  # fmt: skip


def test_a_new_client_gets_both_contacts():
    c = booked(ClientMatch(None, None))
    assert c.is_new and c.consent_source == "booking:web"
    assert not c.link_phone and not c.link_email  # new: her keys are put with the profile


def test_a_known_client_gains_a_phone_no_one_has():
    c = booked(ClientMatch(None, "known"))
    assert not c.is_new and c.link_phone and not c.link_email


def test_a_booking_on_the_web_links_no_new_contact_to_a_known_client():
    """Anyone may type her email: his number must not become hers (the desk's may)."""
    c = booked_client(
        "b", "known", ClientMatch(None, "known"), "Joku", "+358449876543", "maija@example.com", "fi", False, "web",
        active_until=END, erase_on=date(2029, 11, 25), referred_by=None, vouched=False,
    )  # fmt: skip
    assert not c.is_new and not c.link_phone and not c.link_email
    assert foreign_contact(ClientMatch(None, "known"), "+358449876543", "maija@example.com")
    assert foreign_contact(ClientMatch("known", None), "+358401234567", "stranger@example.com")
    assert foreign_contact(ClientMatch("known", "other"), "+358401234567", "other@example.com")
    assert not foreign_contact(ClientMatch("known", "known"), "+358401234567", "maija@example.com")
    assert not foreign_contact(ClientMatch("known", None), "+358401234567", None)
    assert not foreign_contact(ClientMatch(None, None), "+358449876543", "new@example.com")  # a new client
    assert not foreign_contact(ClientMatch(None, None, chosen="liisa"), "+358449876543", None)  # the desk's pick


def test_an_email_is_linked_only_when_her_phone_did_not_find_her_either():
    assert booked(ClientMatch("known", None)).link_email is False
    assert booked(ClientMatch(None, None), phone=None).link_email is False  # new client
    assert booked(ClientMatch("known", "known")).link_email is False


def test_a_client_the_desk_picks_is_booked_as_herself_even_with_no_contact():
    c = booked(ClientMatch(None, None, chosen="liisa"), phone=None, email=None)
    assert c.client_id == "liisa" and not c.is_new and not c.link_phone and not c.link_email
    # Picked with her contacts, which find her too: nothing new to link.
    c = booked(ClientMatch("maija", "maija", chosen="maija"))
    assert c.client_id == "maija" and not c.is_new and not c.link_phone and not c.link_email


def test_a_follow_up_is_due_on_its_earliest_open_action_while_open():
    now = datetime(2026, 11, 23, tzinfo=UTC)
    actions = (
        FollowUpAction("call", date(2026, 12, 1)),
        FollowUpAction("book", date(2026, 11, 28), done=True),
        FollowUpAction("send oil", date(2026, 12, 5)),
    )
    f = FollowUp("b", "c", "f1", "open", now, now, "owner", actions=actions)
    assert f.due == date(2026, 12, 1)
    closed = FollowUp("b", "c", "f1", "closed", now, now, "owner", actions=actions)
    assert closed.due is None
