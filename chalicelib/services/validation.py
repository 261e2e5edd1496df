"""Request bodies: parsed into their pydantic model, or refused with a clear 4xx whose
`fields` map says what is wrong where."""

from __future__ import annotations

from pydantic import ValidationError

from chalicelib.domain.settings import field_message
from chalicelib.errors import BadRequest, ValidationFailed


def fields_from(err: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for e in err.errors():
        fields.setdefault(".".join(str(p) for p in e["loc"]) or "body", field_message(e))
    return fields


def parse(model, body, what: str):
    """`body` as `model`: 400 when it is not a JSON object, 422 with `fields` when invalid."""
    if not isinstance(body, dict):
        raise BadRequest(f"The body must be a JSON object describing the {what}.", code="invalid_json")
    try:
        return model.model_validate(body)
    except ValidationError as e:
        raise ValidationFailed(f"The {what} has errors; see 'fields'.", fields=fields_from(e)) from None
