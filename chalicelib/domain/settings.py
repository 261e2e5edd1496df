"""The owner's settings screen, section by section: which part of BusinessConfig each
section is, a section replaced in a whole configuration, the paths a change touched
(the audit trail names them, never the values) and validation errors keyed by their
path inside the section.

A section is replaced whole and the whole configuration is then validated again by
BusinessConfig, the same model `rebook_cli load-business` uses, so a section can never
leave the configuration in a state the YAML loader would refuse (a staff member
offering a service that was just removed, say).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from chalicelib.domain.config import BusinessConfig

# Section name -> the BusinessConfig field it is, or the fields it gathers (an object).
SECTIONS: dict[str, str | tuple[str, ...]] = {
    # The salon itself as her clients see it (the booking page, every message): its name,
    # address, phone and website, the language it speaks to a client who chose none
    # (locale); and where the salon's own alerts go (owner_email), in which language
    # (owner_locale).
    "salon": ("name", "address", "phone", "website", "locale", "owner_email", "owner_locale"),
    "hours": "opening_hours",
    "closures": "closures",
    "services": "services",
    "staff": "staff",
    "rules": "rules",
    "reminders": "reminders",
    "messages": ("review_link", "sender_name", "sms_sender"),
    # The booking page's shop window: introduction, map link, rating (docs/owner-api.md).
    "shop": "shop",
    # Who counts as slipping away: the return window, the rhythm assumed for a new client
    # and the at-risk/lapsed limits (docs/owner-api.md "Settings").
    "retention": "retention",
    # Win-back, "time for your next visit" and birthday messages, the marketing cap and
    # the hours no SMS goes out (reminders and waitlist offers wait for them too).
    "marketing": ("marketing", "quiet_hours"),
    # The stamp card and referrals: what completed visits earn, what a friend who books by
    # a client's link gets and what the client gets for her (docs/retention.md). One
    # section, as "marketing" is: the owner's card shows and saves them together, so a
    # save is both or nothing.
    "loyalty": ("loyalty", "referrals"),
    # When the feedback request goes out after a visit, and what is a low score.
    "feedback": "feedback",
    # The cancellation and no-show terms a client accepts (a save that changes them raises
    # payments.version: config.with_terms_version). A dotted name is a field inside one.
    "terms": "payments.terms",
    # What a booking pays or secures when a service has no payment of its own (a service's
    # `payment` null): none, a deposit, the full price or a card on file. It is part of
    # the terms a client accepts too (payments.version).
    "policy": "payments.policy",
}
# The key of an error about the section as a whole (a service no staff member offers,
# a body of the wrong type) rather than one place in it.
WHOLE_SECTION = "_"
MAX_AUDITED_PATHS = 100


def section_value(config: BusinessConfig, name: str) -> Any:
    """The section as JSON, as GET /settings shows it and PUT takes it back."""
    data = config.model_dump(mode="json")
    field = SECTIONS[name]
    if isinstance(field, tuple):
        return {f: data.get(f) for f in field}
    *outer, last = field.split(".")
    return _inside(data, outer)[last]


def all_sections(config: BusinessConfig) -> dict[str, Any]:
    return {name: section_value(config, name) for name in SECTIONS}


def replaced(config: BusinessConfig, name: str, value: Any) -> dict[str, Any]:
    """The whole configuration as JSON with section `name` replaced by `value` (not yet
    validated). A grouped section must be an object. The section is replaced whole: what
    it leaves out is named by `left_out` once the configuration is validated (a grouped
    field left out keeps its value until then, so it is "required", not "must be an object")."""
    data = config.model_dump(mode="json")
    field = SECTIONS[name]
    if isinstance(field, tuple):
        if not isinstance(value, Mapping):
            raise SectionShapeError("must be an object")
        unknown = sorted(set(value) - set(field))
        if unknown:
            raise SectionShapeError("unknown field", path=str(unknown[0]))
        for f in field:
            if f in value:
                data[f] = value[f]
    else:
        *outer, last = field.split(".")
        _inside(data, outer)[last] = value
    return data


def left_out(sent: Any, shown: Any, prefix: str = "") -> dict[str, str]:
    """Each field that `shown` (what GET will show once saved) has and `sent` leaves out, at
    any depth: in nested objects and in each item of a list of objects, by its path
    ("0.payment", "payments.terms.no_show_fee_percent"), as "required". A settings save
    replaces what it names whole, so a field left out would quietly become its default (a
    no-show fee of 0 %, a service's deposit dropped); a field GET shows as null is sent as
    null. Where `sent` is in another form than `shown` (a bare date for a closure, a name
    as one string, an interval as "09:00-17:00") nothing inside it is asked for."""
    if isinstance(sent, Mapping) and isinstance(shown, Mapping):
        out: dict[str, str] = {}
        for key in sorted(shown, key=str):
            path = _join(prefix, str(key))
            if key in sent:
                out.update(left_out(sent[key], shown[key], path))
            else:
                out[path] = "required"
        return out
    if isinstance(sent, list) and isinstance(shown, list):
        out = {}
        for i, (item, seen) in enumerate(zip(sent, shown)):
            out.update(left_out(item, seen, _join(prefix, str(i))))
        return out
    return {}


def _inside(data: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """The object at `keys` in the configuration's JSON ("payments" of "payments.terms")."""
    for key in keys:
        data = data[key]
    return data


class SectionShapeError(ValueError):
    """The section's body has the wrong shape before any field can be checked."""

    def __init__(self, message: str, path: str = WHOLE_SECTION) -> None:
        super().__init__(message)
        self.message = message
        self.fields = {path: message}


def errors_in_section(err: ValidationError, name: str) -> dict[str, str]:
    """pydantic's errors of the whole configuration, keyed by their path inside the
    section ("0.duration_minutes"); errors of the configuration as a whole (cross-field
    rules) under WHOLE_SECTION."""
    return section_errors(err.errors(), name)


def section_errors(errors: Sequence[ErrorDetails], name: str) -> dict[str, str]:
    """errors_in_section of some of a ValidationError's errors."""
    field = SECTIONS[name]
    fields: dict[str, str] = {}
    for e in errors:
        loc = [str(p) for p in e["loc"]]
        if isinstance(field, str):
            at = field.split(".")
            inside = loc[len(at) :] if loc[: len(at)] == at else []
        else:
            inside = loc if loc[:1] and loc[0] in field else []
        fields.setdefault(".".join(inside) or WHOLE_SECTION, field_message(e))
    return fields


def field_message(e: ErrorDetails) -> str:
    """One pydantic error in the words the API's `fields` use."""
    if e["type"] == "extra_forbidden":
        return "unknown field"
    if e["type"] == "missing":
        return "required"
    return str(e["msg"]).removeprefix("Value error, ")


def changed_paths(old: Any, new: Any, prefix: str = "") -> list[str]:
    """The paths where `new` differs from `old`: object keys by name, list items that
    carry an id by their id ("services.womens-cut.price_cents"), lists of plain values
    as one path. Names the fields a change touched, never their values."""
    if old == new:
        return []
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out: list[str] = []
        for key in sorted(set(old) | set(new), key=str):
            out += changed_paths(old.get(key), new.get(key), _join(prefix, str(key)))
        return out
    if isinstance(old, list) and isinstance(new, list) and _by_id(old) and _by_id(new):
        before, after = {i["id"]: i for i in old}, {i["id"]: i for i in new}
        out = []
        for key in [*before, *(k for k in after if k not in before)]:
            path = _join(prefix, str(key))
            if key not in before or key not in after:
                out.append(path)
            else:
                out += changed_paths(before[key], after[key], path)
        if not out and [i["id"] for i in old] != [i["id"] for i in new]:
            out.append(prefix or WHOLE_SECTION)  # only the order changed
        return out
    return [prefix or WHOLE_SECTION]


def _by_id(items: list[Any]) -> bool:
    ids = [i.get("id") for i in items if isinstance(i, Mapping)]
    return len(ids) == len(items) and all(isinstance(i, str) for i in ids) and len(set(ids)) == len(ids)


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key
