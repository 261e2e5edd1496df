"""Who is signed in, and the business's settings (the owner's alone)."""

from __future__ import annotations

from pydantic import ValidationError

from chalicelib.auth.principal import Principal
from chalicelib.domain.config import parse_business_config
from chalicelib.errors import BadRequest, ValidationFailed
from chalicelib.services.admin.common import audited, business_of
from chalicelib.services.validation import fields_from
from chalicelib.store import businesses


def whoami(p: Principal) -> dict:
    b = business_of(p)
    return {
        "user": p.user_id,
        "role": p.role,
        "staff_id": p.staff_id,
        "business": {"id": b.id, "slug": b.config.slug, "name": b.config.name, "timezone": b.config.timezone},
        "permissions": sorted(x for x in ("export", "erase", "settings", "audit") if p.can(x)),
    }


def get_config(p: Principal) -> dict:
    p.require("settings")
    return {"config": business_of(p).config.model_dump(mode="json")}


def put_config(p: Principal, body) -> dict:
    """Replace the configuration, validated exactly like `rebook_cli load-business`."""
    p.require("settings")
    b = business_of(p)
    if not isinstance(body, dict) or not isinstance(body.get("config"), dict):
        raise BadRequest('Send {"config": {...}} with the whole business configuration.', code="invalid_json")
    try:
        cfg = parse_business_config(body["config"])
    except ValidationError as e:
        raise ValidationFailed("The configuration has errors; see 'fields'.", fields=fields_from(e)) from None
    if cfg.slug != b.config.slug:
        raise ValidationFailed(
            "The booking address (slug) cannot be changed here.", fields={"config.slug": f"must stay '{b.config.slug}'"}
        )
    saved, _ = businesses.save_config(cfg)
    audited(p, "update_settings", None)
    return {"config": saved.config.model_dump(mode="json")}
