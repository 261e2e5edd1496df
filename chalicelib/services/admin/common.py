"""What every owner use case needs: the principal's business, parsing, the audit trail."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from chalicelib import clock
from chalicelib.auth.principal import Principal
from chalicelib.domain.config import Business
from chalicelib.domain.digits import whole_number
from chalicelib.domain.ids import could_be_id
from chalicelib.domain.timeutil import parse_local_or_instant
from chalicelib.errors import BadRequest, Conflict, NotFound, ValidationFailed
from chalicelib.observability import count_audit_lost, logger
from chalicelib.services.validation import (
    parse,  # noqa: F401 (the owner use cases import it from here)
    within_days_we_keep,
)
from chalicelib.store import audit, businesses


def business_of(p: Principal) -> Business:
    b = businesses.get_by_id(p.business_id)
    if not b:
        raise NotFound("Your business was not found.", code="business_not_found")
    return b


def valid_id(value: str, what: str) -> str:
    """Ids are ours: anything else cannot exist, so it is a plain 404."""
    if not could_be_id(value):
        raise NotFound(f"No such {what}.")
    return value


def parse_date(value: str | None, name: str, default: date | None = None) -> date:
    if value in (None, "") and default is not None:
        return default
    try:
        return within_days_we_keep(date.fromisoformat(value or ""), name)
    except ValueError:
        raise ValidationFailed(
            f"'{name}' must be a date like 2026-11-24.", fields={name: "expected YYYY-MM-DD"}
        ) from None


# Tries of a save without If-Match that keeps losing races to other saves (the last write
# wins, docs/api.md): the client's profile, a follow-up.
SAVE_ATTEMPTS = 4


def if_match_tags(if_match: str | None) -> tuple[str, ...] | None:
    """The versions an `If-Match` header names (RFC 9110 13.1.1: a comma-separated list,
    its empty items ignored, each with its quotes and a weak W/ taken off), or None when
    there is none: no check, the write goes as before. A lone `*` is any version of a
    record that exists (every record a write reaches does), so it is no check either;
    `"*"` or a `*` in a list is a tag like any other, which no version is."""
    raw = "" if if_match is None else str(if_match).strip()
    if raw in ("", "*"):
        return None
    items = (t.strip() for t in raw.split(","))
    return tuple(t.removeprefix("W/").strip('"') for t in items if t)


def expect_version(if_match: str | None, version: int, source: str, code: str, message: str) -> None:
    """`If-Match: <version>` (the `version` of `source`) on a change: refused with a 409
    `code` (and the version now) if the record moved on since the caller read it (none of
    the versions named is the record's). No If-Match, no check: API keys and older
    clients write as before."""
    tags = if_match_tags(if_match)
    if tags is None:
        return
    asked = [whole_number(t) for t in tags]
    if not asked or None in asked:
        raise BadRequest(f"If-Match must be the version {source} returned.", code="bad_version")
    if version not in asked:
        raise Conflict(message, code=code, details={"version": version})


def page_limit(params: dict[str, str] | None, default: int, most: int) -> int:
    """How many items a list returns: `limit` from 1 to `most` (the contract's bounds),
    else a 422 naming it (not quietly clamped: a client asking for 500 learns it gets 200)."""
    try:
        limit = int((params or {}).get("limit") or default)
    except ValueError:
        limit = 0
    if not 1 <= limit <= most:
        raise ValidationFailed(f"'limit' is a number from 1 to {most}.", fields={"limit": f"expected 1-{most}"})
    return limit


def date_range(first: date, last: date, most_days: int) -> tuple[date, date]:
    """`from` .. `to` (both included) as every date range the owner asks for: in order and
    at most `most_days` long (a query's bounds must be in order, and its size bounded)."""
    if last < first or (last - first).days + 1 > most_days:
        raise ValidationFailed(
            f"Choose 'from' on or before 'to', at most {most_days} days apart.", fields={"to": "out of range"}
        )
    return first, last


def instant_of(value: object, name: str, b: Business) -> datetime:
    """A time the desk sent: ISO 8601 with an offset, or local wall-clock time without
    one (read in the business's zone). 422 naming `name` otherwise."""
    try:
        return parse_local_or_instant(value if isinstance(value, str) else "", b.config.tz)
    except ValueError as e:
        raise ValidationFailed(f"'{name}' {e}.", fields={name: str(e)}) from None


def today(b: Business) -> date:
    return clock.now().astimezone(b.config.tz).date()


def audited(p: Principal, action: str, client_id: str | None, detail: dict[str, Any] | None = None) -> None:
    """Who read, changed, exported or erased client data (ids and field names only)."""
    audit.record(p.business_id, p.user_id, p.role, action, client_id, clock.now(), detail)


def audited_after_commit(
    p: Principal, action: str, client_id: str | None, detail: dict[str, Any] | None = None
) -> None:
    """`audited` for a write that has committed (every owner change: a save of the
    settings, a client or a follow-up; a note, follow-up, stamp correction, API key,
    calendar feed, webhook, waitlist entry, time off, import, erasure; the desk's booking,
    move, mark or cancellation; a fee, refund or checkout): its failure is logged (ids
    only), never raised, so a change made is never answered with a 5xx that would have
    her make it again (a save's Idempotency-Key keeps the answer: services/idempotency.py).
    A read's audit (`audited`) still refuses the read when it cannot be written. The
    failure is counted too (Rebook/audit_lost, which the deploy's AuditLost alarm watches):
    an audit trail with a hole in it must reach a person."""
    try:
        audited(p, action, client_id, detail)
    except Exception:
        logger().exception("audit after a commit failed", extra={"business_id": p.business_id, "action": action})
        count_audit_lost()
