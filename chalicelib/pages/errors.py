"""What a client reads when something is wrong, in her language.

The use cases raise RebookError with an English `message` for API callers; the pages
never show it. They say what the catalogue says for the error (err_<key>, by the
error's `key`, else its `code`, else its status) and, for the booking and waitlist forms,
a message next to each field that is wrong (`aria-invalid`, `aria-describedby`:
templates/_fields.html)."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.domain.config import BusinessConfig
from chalicelib.errors import RebookError

# Error code -> catalogue key (err_<key>), where the code says enough.
_BY_CODE = {
    "token_expired": "link_expired",
    "link_not_on_this_device": "link_again",
    "slot_taken": "slot_taken",
    "client_busy": "try_again",
    "calendar_busy": "try_again",
    "booking_changed": "try_again",
    "busy": "try_again",
    "idempotency_key_reused": "try_again",
    "cancellation_window_passed": "too_late",
    "client_gone": "client_gone",
    "reward_unavailable": "reward_unavailable",
    "payload_too_large": "too_large",
    "service_unavailable": "service_unavailable",
    "hold_expired": "hold_expired",
    "offer_taken": "offer_taken",
    "too_many_entries": "too_many_entries",
}
_BY_STATUS = {404: "not_found", 409: "try_again", 410: "link_expired", 413: "too_large", 422: "fix_fields"}

# The booking form's inputs and the request fields they become; the message of a field
# is the catalogue's field_<name>.
FORM_FIELDS = {
    "client.name": "name",
    "client.phone": "phone",
    "client.email": "email",
    "note": "note",
}
# The waitlist's "notify me" form: her details as booking's, the dates, and its one time
# of day (the request's first window).
WAITLIST_FIELDS = {
    **FORM_FIELDS,
    "from": "from",
    "to": "to",
    "windows.0.start": "after",
    "windows.0.end": "before",
}
# A field's reason (the API's English words) -> the end of a message of its own for the
# input, field_<input>_<end>, where the catalogue has one (else field_<input>).
_REASONS = (
    ("is in the past", "past"),
    ("is too far ahead", "too_far"),
    ("must not be before", "before_from"),
    ("a range of at most", "too_long"),
    ("staff member chosen does not work", "staff_off"),
    ("no one who does the service works", "nobody_works"),
    ("no confirmation can reach", "no_confirmation"),  # before: a booking's words hold both
    ("cannot be texted from here", "not_texted"),
    # Her name by the one rule of typed text (domain/plaintext.py).
    ("one line without control characters", "one_line"),
    ("invisible or text-direction characters", "invisible"),
)
# Fields the client does not type: what is wrong with them is said above the form.
_FIELD_AS_MESSAGE = {
    "service": "service_unknown",
    "staff": "staff_not_offering",
    "start": "start_invalid",
    "reward": "reward_invalid",
    "reward.card": "reward_invalid",
    "reward.id": "reward_invalid",
    "referral": "referral_invalid",
}


@dataclass
class Shown:
    """An error as a page shows it: the message, and a message per form input."""

    message: str
    fields: dict[str, str] = field(default_factory=dict)


def _key(e: RebookError) -> str:
    if e.key:
        return e.key
    if e.code in _BY_CODE:
        return _BY_CODE[e.code]
    if e.code.startswith("token_"):
        return "link_invalid"
    if e.code.startswith("booking_"):
        return "booking_not_changeable"
    for name in e.fields:
        if name in _FIELD_AS_MESSAGE:
            return _FIELD_AS_MESSAGE[name]
    return _BY_STATUS.get(e.status, "generic")


def shown(
    e: RebookError,
    t: dict,
    business: BusinessConfig | None = None,
    form: dict[str, str] = FORM_FIELDS,
    **params: object,
) -> Shown:
    """The error in the words of `t` (a locale's pages catalogue), with a message for each
    input of `form` (request field -> input) that is wrong; `params` fill in its words;
    `business`, if known, gives the phone to call and the country of its numbers."""
    phone = business.phone if business else None
    if e.status in (429, 503):  # a limit, or the database busy: the form is kept
        return Shown(t["too_many_bookings"] if e.status == 429 else t["busy_try_again"], {})
    key = _key(e)
    text = t.get(f"err_{key}") or t["err_generic"]
    if key == "too_late":
        text = t["err_too_late_call"].format(phone=phone) if phone else t["err_too_late"]
    inputs: dict[str, str] = {}
    # A number typed wrong: an example of the salon's own country (a number without its
    # country code is read in it), and how one from abroad is written.
    from chalicelib.domain.contacts import DEFAULT_REGION, example_number

    params.setdefault("example", example_number(business.home_country if business else DEFAULT_REGION))
    for name in e.fields:
        if name in form:
            key = f"field_{form[name]}"
            end = next((end for words, end in _REASONS if words in e.fields[name]), None)
            key = f"{key}_{end}" if end and f"{key}_{end}" in t else key
            inputs.setdefault(form[name], t[key].format(**params))
        elif name == "client":  # neither a phone number nor an email address
            inputs.setdefault("phone", t["field_contact"])
            inputs.setdefault("email", t["field_contact"])
    return Shown(text, inputs)
