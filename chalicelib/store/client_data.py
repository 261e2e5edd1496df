"""Everything stored about one client, found through her keys and the client index
(gsi2) — for the GDPR export and for erasure. No Scan: one Query per item type."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DeleteError

from chalicelib.store import db, keys
from chalicelib.store.clients import rekey
from chalicelib.store.models import (
    AppointmentItem,
    ClientItem,
    ClientKeyItem,
    FeedbackItem,
    FollowUpItem,
    MessageItem,
    NoteItem,
)

ERASED_NAME = "(erased)"


def _timeline(model, business_id: str, client_id: str, prefix: str) -> list:
    """One kind of item on the client's timeline (gsi2), by its sort-key prefix."""
    db.configure()
    return list(model.by_client.query(keys.client_timeline(business_id, client_id), model.g2sk.startswith(prefix)))


def appointments(business_id: str, client_id: str) -> list[AppointmentItem]:
    return _timeline(AppointmentItem, business_id, client_id, "APPT#")


def messages(business_id: str, client_id: str) -> list[MessageItem]:
    return _timeline(MessageItem, business_id, client_id, "MSG#")


def notes(business_id: str, client_id: str) -> list[NoteItem]:
    return _timeline(NoteItem, business_id, client_id, "NOTE#")


def followups(business_id: str, client_id: str) -> list[FollowUpItem]:
    return _timeline(FollowUpItem, business_id, client_id, "FUP#")


def feedback(business_id: str, client_id: str) -> list[FeedbackItem]:
    return _timeline(FeedbackItem, business_id, client_id, "FB#")


def erase(client: ClientItem, now: datetime) -> dict:
    """Remove the client's personal data from every item that holds it; keep what the
    counts need (appointments' times, services, prices, statuses) under the bare id.
    Each step is idempotent, and the profile is blanked last, so an interrupted
    erasure is finished by running it again. Returns how many items were touched."""
    db.configure()
    b, c = client.business_id, client.client_id
    pk = keys.biz(b)
    counts = {"contact_keys": 0, "appointments": 0, "messages": 0, "notes": 0, "followups": 0, "feedback": 0}
    for kind, value in (("phone", client.phone), ("email", client.email)):
        if value:
            try:
                ClientKeyItem(pk, keys.client_key_sk(kind, value)).delete(condition=ClientKeyItem.client_id == c)
                counts["contact_keys"] += 1
            except DeleteError:
                pass  # already gone, or now another client's contact
    for a in appointments(b, c):
        if a.note or a.cancel_reason:
            a.update(actions=[AppointmentItem.note.remove(), AppointmentItem.cancel_reason.remove()])
            counts["appointments"] += 1
    for m in messages(b, c):
        actions = [MessageItem.recipient.set("erased"), MessageItem.context.set({"erased": True})]
        if m.status in ("pending", "sending"):
            # Never send to a person who asked to be forgotten.
            actions += [
                MessageItem.status.set("skipped"),
                MessageItem.last_error.set("client_erased"),
                MessageItem.g3pk.remove(),
                MessageItem.g3sk.remove(),
            ]
        m.update(actions=actions)
        counts["messages"] += 1
    for f in feedback(b, c):
        if f.comment:  # the rating stays in the counts; her words go
            f.update(actions=[FeedbackItem.comment.remove()])
            counts["feedback"] += 1
    for n in notes(b, c):
        n.delete()
        counts["notes"] += 1
    for f in followups(b, c):
        f.delete()
        counts["followups"] += 1
    client.update(
        actions=[
            ClientItem.name.set(ERASED_NAME),
            ClientItem.phone.remove(),
            ClientItem.email.remove(),
            ClientItem.birthday.remove(),
            ClientItem.preferences.remove(),
            ClientItem.allergies.remove(),
            ClientItem.important_notes.remove(),
            ClientItem.tags.remove(),
            ClientItem.search.remove(),
            ClientItem.marketing.remove(),
            ClientItem.consent_log.remove(),
            ClientItem.erased_at.set(now),
            ClientItem.updated_at.set(now),
            ClientItem.g3pk.remove(),
            ClientItem.g3sk.remove(),
            ClientItem.g1pk.remove(),
            ClientItem.g1sk.remove(),
            ClientItem.g4pk.remove(),
            ClientItem.g4sk.remove(),
            ClientItem.g5pk.remove(),
            ClientItem.g5sk.remove(),
        ]
    )
    return counts


def rekey_erasure(client: ClientItem, day: str | None) -> None:
    """Move the client's automatic-erasure date (None: not due at all)."""
    rekey(client, "g3", keys.erase_keys(client.business_id, client.client_id, day) if day else None)


def due_for_erasure(day: str):
    """Clients whose automatic-erasure date is `day`, across businesses: Query g3 per shard."""
    db.configure()
    for bucket in keys.day_buckets("ERASE", day):
        yield from ClientItem.by_erase_day.query(bucket)
