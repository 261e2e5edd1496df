"""Request bodies: parsed into their pydantic model, or refused with a clear 4xx whose
`fields` map says what is wrong where."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from chalicelib.domain.settings import field_message
from chalicelib.domain.timeutil import FIRST_DAY, LAST_DAY, within_days_kept
from chalicelib.errors import BadRequest, ValidationFailed


def fields_from(err: ValidationError) -> dict[str, str]:
    return fields_from_details(err.errors())


def fields_from_details(errors: Sequence[ErrorDetails]) -> dict[str, str]:
    """fields_from of some of a ValidationError's errors."""
    fields: dict[str, str] = {}
    for e in errors:
        fields.setdefault(".".join(str(p) for p in e["loc"]) or "body", field_message(e))
    return fields


def parse(model, body, what: str, context: dict | None = None):
    """`body` as `model`: 400 when it is not a JSON object, 422 with `fields` when invalid.
    `context`: what the model's validators may ask of who sends it (domain/booking.py DESK)."""
    if not isinstance(body, dict):
        raise BadRequest(f"The body must be a JSON object describing the {what}.", code="invalid_json")
    try:
        return model.model_validate(body, context=context)
    except ValidationError as e:
        raise ValidationFailed(f"The {what} has errors; see 'fields'.", fields=fields_from(e)) from None


def within_days_we_keep(day: date, name: str) -> date:
    """A date a business can mean (FIRST_DAY..LAST_DAY): a day or a week added to it, or
    its midnight in any time zone, then never runs off the calendar (year 1 or 9999)."""
    if not within_days_kept(day):
        raise ValidationFailed(
            f"'{name}' must be between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}.",
            fields={name: "out of range"},
        )
    return day
