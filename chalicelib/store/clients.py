"""Clients: matched by normalized phone or email within a business (one profile each),
the owner's registry, and the client's side of the writes that change her.

Items become `chalicelib.domain.clients.Client` on the way out; the profile's index
keys (the at-risk list g1, the KPI change mark g2, the erasure day g3, the win-back
step g4, the birthday g5) never leave this package.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Collection, Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.domain.clients import PROFILE_FIELDS, BookedClient, Client, ClientMatch, Consent, ProfileUpdate
from chalicelib.domain.contacts import search_text
from chalicelib.domain.timeutil import parse_utc
from chalicelib.domain.versions import stamp_after
from chalicelib.observability import logger
from chalicelib.store import daysheets, db, keys, search
from chalicelib.store.models import ClientItem, ClientKeyItem, ConsentMap
from chalicelib.store.tx import Tx, TxFailed

if TYPE_CHECKING:  # the import's newcomer: its module stays off the booking's path
    from chalicelib.domain.csv_import import NewClient


class ClientRace(Exception):
    """Another request created or linked the same client contact at the same time; retry."""


class ContactInUse(Exception):
    """Another client of the business already has this phone or email."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


class ClientChanged(Exception):
    """The profile changed (or was erased) between read and write; read it again."""


class BadCursor(Exception):
    """A page cursor this API did not give out."""


# --- item <-> Client --------------------------------------------------------------------
def _consent(m: ConsentMap) -> Consent:
    return Consent(granted=bool(m.granted), at=m.at, source=m.source)


def consent_map(c: Consent) -> ConsentMap:
    return ConsentMap(granted=c.granted, at=c.at, source=c.source)  # type: ignore[no-untyped-call]  # untyped in PynamoDB


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _int(value: float | None) -> int:
    return int(value or 0)


def to_client(i: ClientItem) -> Client:
    g2sk: str | None = i.g2sk
    g4pk: str | None = i.g4pk
    return Client(
        business_id=i.business_id,
        id=i.client_id,
        name=i.name,
        locale=i.locale,
        created_at=i.created_at,
        phone=i.phone,
        email=i.email,
        marketing=_consent(i.marketing) if i.marketing else None,
        consent_log=tuple(_consent(c) for c in i.consent_log or []),
        bookings=_int(i.bookings),
        cancellations=_int(i.cancellations),
        no_shows=_int(i.no_shows),
        reminders_off=bool(i.reminders_off),
        sms_stopped=i.sms_stopped,
        birthday=i.birthday,
        preferences=dict(i.preferences or {}),
        allergies=i.allergies,
        important_notes=i.important_notes,
        tags=tuple(i.tags or ()),
        relationship=i.relationship,
        relationship_at=i.relationship_at,
        rating_sum=_int(i.rating_sum),
        rating_count=_int(i.rating_count),
        last_feedback_request_at=i.last_feedback_request_at,
        last_feedback_request_key=i.last_feedback_request_key,
        last_activity=i.last_activity,
        updated_at=i.updated_at,
        erased_at=i.erased_at,
        last_marketing_at=i.last_marketing_at,
        winback_episode=i.winback_episode,
        winback_sent=_int(i.winback_sent),
        winback_step_on=_day(keys.day_of_bucket(g4pk)) if g4pk else None,
        winback_log=tuple(parse_utc(str(t)) for t in i.winback_log or []),
        nudged_for=i.nudged_for,
        nudge_log=tuple(parse_utc(str(t)) for t in i.nudge_log or []),
        birthday_greeted=_int(i.birthday_greeted),
        visits=_int(i.visits),
        spend_cents=_int(i.spend_cents),
        last_visit_at=i.last_visit_at,
        first_visit_at=i.first_visit_at,
        rhythm_days=float(i.rhythm_days) if i.rhythm_days is not None else None,
        at_risk_on=_day(i.at_risk_on),
        lapsed_on=_day(i.lapsed_on),
        stamps=_int(i.stamps),
        stamp_adjust=_int(i.stamp_adjust),
        referred_by=i.referred_by,
        kpi=dict(i.kpi or {}),
        kpi_v=_int(i.kpi_v),
        kpi_marked_at=keys.kpi_changed_at(g2sk) if g2sk else None,
        signals_dismissed=dict(i.signals_dismissed or {}),
    )


def item_key(c: Client) -> ClientItem:
    """The profile's item with only its keys: what an update or a check names."""
    return ClientItem(keys.biz(c.business_id), keys.client_sk(c.id))


def _key(business_id: str, client_id: str) -> ClientItem:
    return ClientItem(keys.biz(business_id), keys.client_sk(client_id))


# Conditions every write on a live profile carries.
def exists() -> Condition:
    return ClientItem.pk.exists()


def unerased() -> Condition:
    live: Condition = ClientItem.pk.exists() & ClientItem.erased_at.does_not_exist()
    return live


# How long a started erasure keeps bookings off her: a few seconds' work, so one this old
# died unfinished (the owner runs it again) and she may book meanwhile.
ERASING_HOLDS = timedelta(minutes=15)


def bookable(now: datetime) -> Condition:
    """A live profile no erasure is under way on (a booking checked for before it began)."""
    free: Condition = unerased() & (
        ClientItem.erasing_at.does_not_exist() | (ClientItem.erasing_at < now - ERASING_HOLDS)
    )
    return free


def consents_to_marketing() -> Condition:
    consents: Condition = unerased() & (ClientItem.marketing.granted == True)  # noqa: E712 (a DynamoDB condition)
    return consents


def mark_texts_stopped(business_id: str, client_id: str, number: str, stopped: bool) -> None:
    """A send found `number` had replied STOP (`stopped`), or SNS says it is texted again:
    kept on her profile (the last number found so), so the desk knows before the next SMS
    fails too. A profile erased meanwhile, or a mark already gone, is left as it is."""
    db.configure()
    item = _key(business_id, client_id)
    try:
        if stopped:
            item.update(actions=[ClientItem.sms_stopped.set(number)], condition=unerased())
        else:
            item.update(actions=[ClientItem.sms_stopped.remove()], condition=ClientItem.sms_stopped == number)
    except UpdateError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":  # else: not her number now
            logger().warning("texts stopped not kept", extra={"client_id": client_id, "error": e.cause_response_code})


def kpi_changed(business_id: str, client_id: str, now: datetime) -> list[Action]:
    """Update actions that mark the client for the next KPI sync: every write that
    changes what she counts does them in its own request (chalicelib/store/kpis.py)."""
    pk, sk = keys.kpi_change_keys(business_id, client_id, now)
    return [ClientItem.g2pk.set(pk), ClientItem.g2sk.set(sk)]


# --- reading ----------------------------------------------------------------------------
def find_client(business_id: str, phone: str | None, email: str | None) -> ClientMatch:
    """One BatchGetItem over the contact keys."""
    db.configure()
    wanted = []
    if phone:
        wanted.append((keys.biz(business_id), keys.client_key_sk("phone", phone)))
    if email:
        wanted.append((keys.biz(business_id), keys.client_key_sk("email", email)))
    found = {item.sk: item.client_id for item in ClientKeyItem.batch_get(wanted)} if wanted else {}
    return ClientMatch(
        by_phone=found.get(keys.client_key_sk("phone", phone)) if phone else None,
        by_email=found.get(keys.client_key_sk("email", email)) if email else None,
    )


def get_client(business_id: str, client_id: str) -> Client | None:
    db.configure()
    try:
        return to_client(ClientItem.get(keys.biz(business_id), keys.client_sk(client_id), consistent_read=True))
    except ClientItem.DoesNotExist:
        return None


def get_clients(business_id: str, client_ids: set[str], consistent: bool = False) -> dict[str, Client]:
    """Profiles by id, one BatchGetItem per 100 (`consistent`: with every write before it,
    as a write that depends on who exists needs)."""
    db.configure()
    wanted = [(keys.biz(business_id), keys.client_sk(c)) for c in sorted(client_ids)]
    found = ClientItem.batch_get(wanted, consistent_read=consistent) if wanted else ()
    return {item.client_id: to_client(item) for item in found}


_CURSOR_SK = re.compile(r"^CLIENT#[a-z0-9]{1,40}$")


def _cursor_in(raw: str | None, business_id: str) -> dict[str, dict[str, str]] | None:
    if not raw:
        return None
    try:
        sk = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))["sk"]
    except (ValueError, KeyError, TypeError):
        sk = None
    if not isinstance(sk, str) or not _CURSOR_SK.match(sk):
        raise BadCursor()
    # Only the position travels; the partition is always the caller's own business.
    return {"pk": {"S": keys.biz(business_id)}, "sk": {"S": sk}}


def _cursor_out(last: ClientItem) -> str:
    return base64.urlsafe_b64encode(json.dumps({"sk": last.sk}).encode()).decode().rstrip("=")


def list_clients(
    business_id: str, needle: str | None, limit: int, cursor: str | None
) -> tuple[list[Client], str | None]:
    """A page of the business's clients, optionally those found by `needle` (a name,
    from any of its words on; phone digits; an email — each from its start): one Query
    on the business's partition, or for a search one Query of its search keys and one
    BatchGetItem of the clients they name (never the whole partition). Returns the
    clients and the cursor of the next page (None: the last page). BadCursor for a
    cursor that is not one this function gave out."""
    db.configure()
    if needle:
        try:
            ids, next_cursor = search.find(business_id, needle, limit, cursor)
        except search.BadCursor:
            raise BadCursor() from None
        found = get_clients(business_id, set(ids))
        return [found[i] for i in ids if i in found and not found[i].is_erased], next_cursor
    condition = ClientItem.erased_at.does_not_exist()
    # One more than asked: a next page is promised only when it has something on it.
    items = list(
        ClientItem.query(
            keys.biz(business_id),
            ClientItem.sk.startswith(keys.CLIENT_PREFIX),
            filter_condition=condition,
            limit=limit + 1,
            last_evaluated_key=_cursor_in(cursor, business_id),
            page_size=max(limit + 1, 100),
        )
    )
    more = len(items) > limit
    items = items[:limit]
    return [to_client(i) for i in items], (_cursor_out(items[-1]) if more else None)


def all_clients(business_id: str) -> Iterator[Client]:
    """Every unerased client of the business, streamed page by page (the CSV export):
    Query on the business's own partition, never the table."""
    db.configure()
    for item in ClientItem.query(
        keys.biz(business_id),
        ClientItem.sk.startswith(keys.CLIENT_PREFIX),
        filter_condition=ClientItem.erased_at.does_not_exist(),
        page_size=500,
    ):
        yield to_client(item)


# --- the booking's side -------------------------------------------------------------------
def keys_put_on_booking(c: BookedClient) -> frozenset[str]:
    """The kinds of contact key ("phone", "email") a booking by `c` puts (on_booking): a
    new client's, a newly linked contact's."""
    return frozenset(
        kind
        for kind, value, link in (("phone", c.phone, c.link_phone), ("email", c.email, c.link_email))
        if value and (c.is_new or link)
    )


def new_profile(c: BookedClient | NewClient, now: datetime, **more: Any) -> ClientItem:
    """A new client's profile, booked or imported: who she is and the text she is found
    by; `more`, what the way she came knows of her (consent, visits, spend)."""
    return ClientItem(
        keys.biz(c.business_id),
        keys.client_sk(c.client_id),
        business_id=c.business_id,
        client_id=c.client_id,
        name=c.name,
        phone=c.phone,
        email=c.email,
        locale=c.locale,
        created_at=now,
        updated_at=now,
        search=search_text(c.name, c.phone, c.email),
        **more,
    )


def on_booking(
    tx: Tx, c: BookedClient, now: datetime, key_entries: Mapping[str, Mapping[str, str]] | None = None
) -> frozenset[str]:
    """A booking's writes on its client, in its transaction: a new profile with her
    contact keys, or her counters, latest activity, new contacts and consent. Returns
    the search tokens she gains (a new client's, a newly linked contact's): put by the
    booking's plan when its sender expands it (store/outbox.expand_plan), not in
    the booking's transaction, so a new client's booking stays within its item budget.
    `key_entries`: per kind of key it puts, the meter entry the key carries (a contact
    with no meter yet: store/limits.py "A contact's first booking")."""
    pk = keys.biz(c.business_id)
    consent = consent_map(Consent(True, now, c.consent_source)) if c.marketing_granted else None
    erase = keys.erase_keys(c.business_id, c.client_id, c.erase_on.isoformat()) if c.erase_on else None
    kpi_pk, kpi_sk = keys.kpi_change_keys(c.business_id, c.client_id, now)  # her counts change: sync them
    if c.is_new:
        item = new_profile(
            c,
            now,
            marketing=consent,
            consent_log=[consent] if consent else None,
            bookings=1,
            last_activity=c.active_until or now,
            referred_by=c.referred_by,
            g2pk=kpi_pk,
            g2sk=kpi_sk,
        )
        if erase:
            item.g3pk, item.g3sk = erase
        tx.put(item, "client", condition=ClientItem.pk.does_not_exist())
        found_by = search.tokens_of(c.name, c.phone, c.email)
    else:
        actions: list[Action] = [ClientItem.bookings.add(1), ClientItem.g2pk.set(kpi_pk), ClientItem.g2sk.set(kpi_sk)]
        if c.active_until and erase:
            actions += [
                ClientItem.last_activity.set(c.active_until),
                ClientItem.g3pk.set(erase[0]),
                ClientItem.g3sk.set(erase[1]),
            ]
        if c.locale_chosen:
            actions.append(ClientItem.locale.set(c.locale))
        if c.link_phone or c.link_email:
            # The search text gains the new contact; the profile's name stays the owner's.
            actions.append(ClientItem.search.set(search_text(c.name, c.phone, c.email)))
        if c.link_phone and c.phone:
            actions.append(ClientItem.phone.set(c.phone))
        if c.link_email and c.email:
            actions.append(ClientItem.email.set(c.email))
        # She is found by the new contact too (her name's keys stay as the owner keeps it).
        found_by = search.tokens_of(None, c.phone if c.link_phone else None, c.email if c.link_email else None)
        if consent:
            # Booking can grant marketing consent; only an unsubscribe withdraws it.
            actions += consent_actions(consent)
        tx.update(_key(c.business_id, c.client_id), actions, "client", condition=bookable(now))
    put = keys_put_on_booking(c)
    for kind, value in (("phone", c.phone), ("email", c.email)):
        if value and kind in put:
            entry = (key_entries or {}).get(kind)
            tx.put(
                ClientKeyItem(
                    pk, keys.client_key_sk(kind, value), client_id=c.client_id, m=dict(entry) if entry else None
                ),
                "client",
                condition=ClientKeyItem.pk.does_not_exist(),
            )
    return found_by


def consent_actions(consent: ConsentMap) -> list[Action]:
    """The consent now, and appended to her consent log."""
    return [
        ClientItem.marketing.set(consent),
        ClientItem.consent_log.set((ClientItem.consent_log | []).append([consent])),
    ]


def on_cancellation(tx: Tx, business_id: str, client_id: str, now: datetime) -> None:
    tx.update(
        _key(business_id, client_id),
        [ClientItem.cancellations.add(1), *kpi_changed(business_id, client_id, now)],
        "client",
        condition=exists(),
    )


def on_change(tx: Tx, business_id: str, client_id: str, now: datetime) -> None:
    """A visit of hers moved or was asked about: only her KPI counts change."""
    tx.update(_key(business_id, client_id), kpi_changed(business_id, client_id, now), "client", condition=exists())


def on_no_show_change(tx: Tx, business_id: str, client_id: str, delta: int) -> None:
    tx.update(_key(business_id, client_id), [ClientItem.no_shows.add(delta)], "client", condition=exists())


# --- the owner's registry ---------------------------------------------------------------
def _profile_actions(c: Client, change: ProfileUpdate, now: datetime) -> list[Action]:
    fields = change.fields
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    actions: list[Action] = []
    for name, value in fields.items():
        attr = getattr(ClientItem, name)
        actions.append(attr.set(value) if value is not None else attr.remove())
    if {"name", "phone", "email"} & set(fields):
        name = fields.get("name", c.name)
        phone, email = fields.get("phone", c.phone), fields.get("email", c.email)
        actions.append(ClientItem.search.set(search_text(name, phone, email)))
    if "phone" in fields and c.sms_stopped and fields["phone"] != c.sms_stopped:
        actions.append(ClientItem.sms_stopped.remove())  # the number that replied STOP is not hers now
    if "birthday" in fields:
        if fields["birthday"]:
            g5pk, g5sk = keys.birthday_keys(c.business_id, c.id, fields["birthday"][-5:])
            actions += [ClientItem.g5pk.set(g5pk), ClientItem.g5sk.set(g5sk)]
        else:
            actions += [ClientItem.g5pk.remove(), ClientItem.g5sk.remove()]
    if "relationship" in fields:
        actions.append(ClientItem.relationship_at.set(now))
    if change.marketing is not None:
        actions += consent_actions(consent_map(change.marketing))
    return actions


def update_profile(
    c: Client,
    change: ProfileUpdate,
    now: datetime,
    calendars: Collection[str] = (),
    sheets: Collection[tuple[str, date]] = (),
) -> Client:
    """Apply the owner's change to the profile read as `c` (only if unchanged since:
    its updated_at), moving phone and email keys, the versions of the staff `calendars`
    whose feeds show her name, and of the day `sheets` (staff, day) of her visits the
    desk's calendars show, in the same transaction; the client as written. ContactInUse
    when another client has the new contact; ClientChanged when the profile moved on."""
    pk = keys.biz(c.business_id)
    tx = Tx(ClientItem)
    updated_at = stamp_after(now, c.updated_at)
    unchanged = ClientItem.erased_at.does_not_exist() & (
        ClientItem.updated_at == c.updated_at if c.updated_at else ClientItem.updated_at.does_not_exist()
    )
    tx.update(
        item_key(c),
        # A new version even when the clock has not moved past the one read.
        [*_profile_actions(c, change, now), ClientItem.updated_at.set(updated_at)],
        "client",
        condition=ClientItem.pk.exists() & unchanged,
    )
    if {"name", "phone", "email"} & set(change.fields):
        f = change.fields
        new_tokens = search.tokens_of(f.get("name", c.name), f.get("phone", c.phone), f.get("email", c.email))
        search.move_keys(tx, c.business_id, c.id, search.tokens_of(c.name, c.phone, c.email), new_tokens)
    for kind, old in (("phone", c.phone), ("email", c.email)):
        if kind not in change.fields:
            continue
        new = change.fields[kind]
        if old:
            tx.delete(
                ClientKeyItem(pk, keys.client_key_sk(kind, old)),
                "old-" + kind,
                condition=ClientKeyItem.client_id == c.id,
            )
        if new:
            tx.put(
                ClientKeyItem(pk, keys.client_key_sk(kind, new), client_id=c.id),
                kind,
                condition=ClientKeyItem.pk.does_not_exist(),
            )
    from chalicelib.domain.webhooks import client_updated
    from chalicelib.store import webhooks

    for staff_id in sorted(calendars):
        daysheets.calendar_moved(tx, c.business_id, staff_id)
    for staff_id, day in sorted(sheets):
        daysheets.touch(tx, c.business_id, staff_id, day)
    changed = [*change.fields, *(["marketing_consent"] if change.marketing is not None else [])]
    webhooks.emit(tx, c.business_id, [client_updated(c.id, changed, now)], now, c.id)
    try:
        tx.commit()
    except TxFailed as err:
        for kind in ("phone", "email"):
            if kind in err.failed:
                raise ContactInUse(kind) from err
        raise ClientChanged() from err
    return change.applied_to(c, now, updated_at)


def adjust_stamps(business_id: str, client_id: str, delta: int, now: datetime) -> Client | None:
    """Add the owner's stamp adjustment; the client as she is after it (None if erased or gone)."""
    db.configure()
    item = _key(business_id, client_id)
    try:
        item.update(
            actions=[ClientItem.stamp_adjust.add(delta), ClientItem.updated_at.set(now)],
            condition=unerased(),
        )
    except UpdateError:
        return None
    return to_client(item)


# --- sparse day indexes -------------------------------------------------------------------
def _rekey(c: Client, index: str, pair: tuple[str, str] | None) -> None:
    """Move the client in one of her sparse day indexes ("g3" erasure, "g4" lapse) to
    the key `pair`, or out of it (None)."""
    db.configure()
    pk, sk = getattr(ClientItem, f"{index}pk"), getattr(ClientItem, f"{index}sk")
    actions: list[Action] = [pk.set(pair[0]), sk.set(pair[1])] if pair else [pk.remove(), sk.remove()]
    item_key(c).update(actions=actions)


# Tries of a dismissal that keeps meeting another one written meanwhile, before ClientChanged.
DISMISS_ATTEMPTS = 5


def dismiss_signal(c: Client, code: str, key: str | None) -> dict[str, str] | None:
    """Keep the owner's dismissal of an early warning (the key it rested on; None: her
    dismissal undone): her
    dismissals as written (what the answer shows, with no read after the commit that could
    fail it), None if she was erased meanwhile. The map of dismissals is written on the condition that it
    is still as read: when another dismissal came in between (a second device, a second
    warning tapped), it is read again and this one added to it, so both hold."""
    db.configure()
    seen: dict[str, str] | None = dict(c.signals_dismissed) or None
    for _ in range(DISMISS_ATTEMPTS):
        as_read = (
            ClientItem.signals_dismissed.does_not_exist() if seen is None else ClientItem.signals_dismissed == seen
        )
        written = {k: v for k, v in {**(seen or {}), code: key}.items() if v is not None}
        change = ClientItem.signals_dismissed.set(written) if written else ClientItem.signals_dismissed.remove()
        try:
            item_key(c).update(actions=[change], condition=unerased() & as_read)
            return written
        except UpdateError as err:
            if err.cause_response_code != "ConditionalCheckFailedException":
                raise
        try:
            fresh = ClientItem.get(keys.biz(c.business_id), keys.client_sk(c.id), consistent_read=True)
        except ClientItem.DoesNotExist:
            return None
        if fresh.erased_at is not None:
            return None
        seen = fresh.signals_dismissed
    raise ClientChanged()


def schedule_winback(c: Client, day: date | None) -> None:
    """The day her next win-back step is due (None: the episode is over)."""
    _rekey(c, "g4", keys.lapse_keys(c.business_id, c.id, day.isoformat()) if day else None)


def schedule_erasure(c: Client, day: date | None) -> None:
    """The day she becomes due for automatic erasure (None: never)."""
    _rekey(c, "g3", keys.erase_keys(c.business_id, c.id, day.isoformat()) if day else None)
