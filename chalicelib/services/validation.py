"""Turning pydantic validation errors into the API's `fields` map."""
from __future__ import annotations

from pydantic import ValidationError


def fields_from(err: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for e in err.errors():
        path = ".".join(str(p) for p in e["loc"]) or "body"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown field"
        elif e["type"] == "missing":
            msg = "required"
        fields.setdefault(path, msg)
    return fields
