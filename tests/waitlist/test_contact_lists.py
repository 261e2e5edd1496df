"""Her contact's list of waitlist entries keeps every entry of hers still kept: the open
ones (duplicates, the per-contact limit, offers) and, marked closed, those that left the
list or whose days passed, until their items' TTL — so erasure finds them all by her
phone or email (docs/data-model.md, "Waitlist contact"). Now: Mon 23 Nov 2026."""

from __future__ import annotations

from datetime import date

import pytest

from tests.history import at
from tests.waitlist.helpers import join

PHONE = "+358401234567"


@pytest.fixture
def desk(client, aws):
    from tests.admin.helpers import Desk

    return Desk(client, aws.id)


def _lists(aws):
    from chalicelib.store import waitlist

    found = waitlist.read_contacts(aws.id, PHONE, "maija@example.com")
    return sorted(found.entries()), sorted(found.every())


def test_a_closed_entry_stays_on_her_lists_marked_closed(client, desk, aws):
    status, first = join(client, first="2026-11-24", last="2026-11-25")
    assert status == 201, first
    status, second = join(client, first="2026-11-30", last="2026-12-01")
    assert status == 201, second
    assert desk.delete(f"/waitlist/{first['id']}")[0] in (200, 204)
    assert _lists(aws) == ([second["id"]], sorted([first["id"], second["id"]]))
    status, third = join(client, first="2026-11-24", last="2026-11-25")  # not a duplicate of the closed one
    assert status == 201 and third["id"] != first["id"]


def test_an_entry_whose_days_passed_is_kept_closed_until_its_ttl(client, aws, frozen_now):
    status, passed = join(client, first="2026-11-23", last="2026-11-24")
    assert status == 201, passed
    frozen_now["now"] = at("2026-11-26T10:00:00+02:00")
    status, later = join(client, first="2026-11-27", last="2026-11-28")  # her list is written again
    assert status == 201, later
    assert _lists(aws) == ([later["id"]], sorted([passed["id"], later["id"]]))
    frozen_now["now"] = at("2026-12-26T10:00:00+02:00")  # a month after the first's last day: its item's TTL
    status, last = join(client, first="2026-12-28", last="2026-12-29")
    assert status == 201, last
    assert _lists(aws) == ([last["id"]], sorted([later["id"], last["id"]]))


def test_an_entry_closed_where_her_list_is_missing_starts_one(client, desk, aws):
    """Entries seeded without contact lists (load_entries), or a list gone: closing the
    entry puts a list with it, closed, so erasure still finds it."""
    from chalicelib.store import waitlist

    status, entry = join(client, first="2026-11-24", last="2026-11-25")
    assert status == 201, entry
    lists = waitlist.read_contacts(aws.id, PHONE, "maija@example.com")
    waitlist.forget_contacts(aws.id, lists, lists.every())
    assert _lists(aws) == ([], [])
    assert desk.delete(f"/waitlist/{entry['id']}")[0] in (200, 204)
    closed = waitlist.get_entry(aws.id, entry["id"])
    assert closed is not None and closed.status == "left"
    assert _lists(aws) == ([], [entry["id"]])


def test_entries_closed_before_the_lists_kept_them_are_marked_by_the_migration(client, desk, aws):
    """An entry closed before this release left her lists: `index_closed` (rebook_cli
    index-client-search) marks it there, once, and an open one is left as it is."""
    from chalicelib.store import keys, waitlist
    from chalicelib.store.models import WaitContactItem

    status, closed = join(client, first="2026-11-24", last="2026-11-25")
    assert status == 201, closed
    status, still = join(client, first="2026-11-30", last="2026-12-01")
    assert status == 201, still
    assert desk.delete(f"/waitlist/{closed['id']}")[0] in (200, 204)
    for kind, value in (("phone", PHONE), ("email", "maija@example.com")):  # as the lists were before
        WaitContactItem(keys.biz(aws.id), keys.wait_contact_sk(kind, value)).update(
            actions=[WaitContactItem.e[closed["id"]].remove()]
        )
    assert _lists(aws) == ([still["id"]], [still["id"]])
    today = date(2026, 11, 23)
    assert waitlist.index_closed(aws.id, today) == 1
    assert _lists(aws) == ([still["id"]], sorted([closed["id"], still["id"]]))
    assert waitlist.index_closed(aws.id, today) == 0  # repeatable


def test_an_entry_an_edit_moves_to_another_phone_leaves_the_old_phones_list(client, desk, aws):
    """The desk corrects a mistyped phone: the entry was never that phone's, so it leaves
    its list entirely; the email it keeps still names it, marked closed, beside the new
    one. An edit to another service only closes it on her lists."""
    from chalicelib.store import waitlist
    from tests.waitlist.helpers import entry_body

    status, added = desk.post("/waitlist", entry_body(phone="040 555 5555"))
    assert status == 201, added
    status, moved = desk.put(f"/waitlist/{added['id']}", entry_body())
    assert status == 200 and moved["id"] != added["id"], moved
    typo = waitlist.read_contacts(aws.id, "+358405555555", None)
    assert (typo.entries(), typo.every()) == ({}, {})
    assert _lists(aws) == ([moved["id"]], sorted([added["id"], moved["id"]]))
    status, other = desk.put(f"/waitlist/{moved['id']}", entry_body(service="colour"))
    assert status == 200 and other["id"] != moved["id"], other
    assert _lists(aws) == ([other["id"]], sorted([added["id"], moved["id"], other["id"]]))


def test_the_migration_puts_no_entry_back_on_a_contact_an_edit_moved_it_off(client, desk, aws):
    """`index_closed` marks a moved entry only on the contacts it kept (the email), never
    on the mistyped phone it was moved off."""
    from chalicelib.store import waitlist
    from tests.waitlist.helpers import entry_body

    status, added = desk.post("/waitlist", entry_body(phone="040 555 5555"))
    assert status == 201, added
    status, moved = desk.put(f"/waitlist/{added['id']}", entry_body())
    assert status == 200, moved
    old = waitlist.get_entry(aws.id, added["id"])
    assert old is not None and (old.status, old.moved_to) == ("left", moved["id"])
    lists = waitlist.read_contacts(aws.id, PHONE, "maija@example.com")
    waitlist.forget_contacts(aws.id, lists, lists.every())
    assert waitlist.index_closed(aws.id, date(2026, 11, 23)) == 1
    assert waitlist.read_contacts(aws.id, "+358405555555", None).every() == {}
    assert _lists(aws) == ([], [added["id"]])
