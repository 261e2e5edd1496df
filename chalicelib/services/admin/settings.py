"""Who is signed in, and the business's settings (the owner's alone)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from chalicelib import clock, links
from chalicelib.auth.principal import OWNER_ONLY, Principal
from chalicelib.domain import settings as sections
from chalicelib.domain.availability import added_working_time
from chalicelib.domain.config import Business, BusinessConfig, parse_business_config, with_terms_version
from chalicelib.errors import BadRequest, Conflict, NotFound, ValidationFailed
from chalicelib.services.admin.common import audited_after_commit, business_of, expect_version
from chalicelib.services.validation import fields_from, fields_from_details
from chalicelib.store import businesses

CHANGED = "The settings were changed meanwhile (on another device?). Reload them and make your change again."


def whoami(p: Principal) -> dict:
    b = business_of(p)
    return {
        "user": p.user_id,
        "role": p.role,
        "staff_id": p.staff_id,
        "business": {
            "id": b.id,
            "slug": b.config.slug,
            "name": b.config.name,
            "timezone": b.config.timezone,
            # What she puts in her Instagram bio and on her website (Settings, first card).
            "booking_url": links.book_url(b.config.slug),
            "widget_snippet": links.widget_snippet(b.config.slug),
        },
        # Every owner-only permission the caller has: a client (the dashboard) asks for
        # nothing its role cannot see.
        "permissions": sorted(x for x in OWNER_ONLY if p.can(x)),
    }


def get_config(p: Principal) -> dict:
    p.require("settings")
    return {"config": business_of(p).config.model_dump(mode="json")}


def put_config(p: Principal, body, if_match: str | None = None) -> dict:
    """Replace the configuration, validated exactly like `rebook_cli load-business`; with
    `If-Match: <version>` (of GET /settings) only if nobody saved since."""
    p.require("settings")
    b, version = _current(p)
    _expected_version(if_match, version)
    if not isinstance(body, dict) or not isinstance(body.get("config"), dict):
        raise BadRequest('Send {"config": {...}} with the whole business configuration.', code="invalid_json")
    stored = b.config.model_dump(mode="json")
    try:
        cfg = parse_business_config(body["config"])
    except ValidationError as e:
        raise ValidationFailed(
            "The configuration has errors; see 'fields'.",
            fields=_with_left_out(fields_from(e), body["config"], stored),
        ) from None
    if typed := _typed_errors(body["config"], stored):
        raise ValidationFailed("The configuration has errors; see 'fields'.", fields=fields_from_details(typed))
    _sent_whole(body["config"], cfg.model_dump(mode="json"), "The configuration")
    if cfg.slug != b.config.slug:
        raise ValidationFailed(
            "The booking address (slug) cannot be changed here.", fields={"config.slug": f"must stay '{b.config.slug}'"}
        )
    saved, _ = _save(b, cfg, version)
    audited_after_commit(p, "update_settings", None)
    return {"config": saved.config.model_dump(mode="json")}


def _with_left_out(errors: dict[str, str], sent, shown) -> dict[str, str]:
    """A body refused by validation: its errors and, at once, each field it leaves out of
    what GET showed (`shown`: what is stored; no valid body to show yet), so a body with
    both is not fixed in two round trips (the `required` ones coming only on the next)."""
    return {**errors, **{k: v for k, v in sections.left_out(sent, shown).items() if k not in errors}}


def _sent_whole(sent, shown, what: str) -> None:
    """A save replaces what it names whole: a 422 naming each field left out at any depth
    (domain/settings.py left_out), never its default quietly saved."""
    missing = sections.left_out(sent, shown)
    if missing:
        raise ValidationFailed(f"{what} has fields left out; send each one GET shows (null to clear).", fields=missing)


# --- the settings screen, section by section (docs/owner-api.md "Settings") ------------------
def _save(b: Business, cfg, version: int) -> tuple:
    """The config saved on the version read (`payments.version` raised when the payment
    terms changed); 409 if someone saved since. Working time the
    save opens (more hours, a closure or day off taken back, a new staff member) is freed
    time, from now to the booking horizon: written with the config as one freed-time
    outbox item and offered right after (by the sweeper if this request dies first)."""
    from chalicelib.services.waitlist import refill

    now = clock.now()
    cfg = with_terms_version(b.config, cfg)
    after = Business(b.id, cfg)
    opened = added_working_time(b.config, cfg, now)
    freed = refill.freed(after, f"config#{version + 1}", opened, now, many=True)
    try:
        saved, new_version = businesses.replace_config(b.id, cfg, version, freed)
    except businesses.ConfigChanged:
        raise Conflict(CHANGED, code="settings_changed") from None
    refill.offer_freed(saved, freed, now)
    return saved, new_version


def _current(p: Principal) -> tuple:
    found = businesses.read_for_change(p.business_id)
    if not found:
        raise NotFound("Your business was not found.", code="business_not_found")
    return found


def get_settings(p: Principal) -> dict:
    """Every section for the owner; a staff member sees only her own entry, read-only."""
    b, version = _current(p)
    if not p.can("settings"):
        own = [s for s in sections.section_value(b.config, "staff") if p.staff_id and s["id"] == p.staff_id]
        return {"sections": {"staff": own}, "can_edit": False, "version": version}
    return {"sections": sections.all_sections(b.config), "can_edit": True, "version": version}


def _section_config(b: Business, name: str, data: dict, body) -> BusinessConfig:
    """The configuration with section `name` replaced (`data`), validated whole; the rule of
    typed text (domain/plaintext.py) only on what the save changes (_typed_errors)."""

    def refused(errors: dict[str, str]) -> ValidationFailed:
        fields = _with_left_out(errors, body, sections.section_value(b.config, name))
        return ValidationFailed(f"The '{name}' section has errors; see 'fields'.", fields=fields)

    try:
        cfg = parse_business_config(data)
    except ValidationError as e:
        raise refused(sections.errors_in_section(e, name)) from None
    if typed := _typed_errors(data, b.config.model_dump(mode="json")):
        raise refused(sections.section_errors(typed, name))
    return cfg


def _typed_errors(sent: dict, stored: dict) -> list[ErrorDetails]:
    """The rule of typed text (domain/plaintext.py) on what `sent` (a valid configuration)
    changes: a value kept as it was stored (a name or a phone from before the rule) is read
    as kept, never refused for a save of something else (the dashboard sends the whole
    configuration back to add a service)."""
    try:
        parse_business_config(sent, typed=True)
    except ValidationError as e:
        return [d for d in e.errors() if _at(sent, d["loc"]) != _at(stored, d["loc"])]
    return []


def _at(data: Any, loc: tuple[int | str, ...]) -> Any:
    """The value at a pydantic error's `loc` in raw JSON, or a marker none matches."""
    for key in loc:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return data


_MISSING = object()


def _expected_version(if_match: str | None, version: int) -> None:
    """An `If-Match: <version>` from GET /settings: refused if the config moved on since."""
    expect_version(if_match, version, "GET /settings", "settings_changed", CHANGED)


def put_section(p: Principal, name: str, body, if_match: str | None = None) -> dict:
    """Replace one section; the whole configuration is validated again like the YAML
    loader does, saved only if nobody saved it meanwhile, and the change audited with
    the paths it touched."""
    p.require("settings")
    if name not in sections.SECTIONS:
        raise NotFound(f"No settings section '{name}'.", code="unknown_section")
    b, version = _current(p)
    _expected_version(if_match, version)
    if body is None:
        raise BadRequest(f"Send the '{name}' section as JSON, as GET /settings shows it.", code="invalid_json")
    try:
        data = sections.replaced(b.config, name, body)
    except sections.SectionShapeError as e:
        raise ValidationFailed(f"The '{name}' section has errors; see 'fields'.", fields=e.fields) from None
    cfg = _section_config(b, name, data, body)
    _sent_whole(body, sections.section_value(cfg, name), f"The '{name}' section")
    # A section of several fields, one of them its namesake, is named by the configuration's
    # own paths ("loyalty.stamps_for_reward", not "loyalty.loyalty.stamps_for_reward").
    fields = sections.SECTIONS[name]
    prefix = "" if isinstance(fields, tuple) and name in fields else name
    changed = sections.changed_paths(sections.section_value(b.config, name), sections.section_value(cfg, name), prefix)
    if not changed:
        return {"section": name, "value": sections.section_value(b.config, name), "version": version, "changed": []}
    saved, new_version = _save(b, cfg, version)
    audited_after_commit(
        p,
        "update_settings",
        None,
        {"section": name, "changed": changed[: sections.MAX_AUDITED_PATHS], "changed_count": len(changed)},
    )
    return {
        "section": name,
        "value": sections.section_value(saved.config, name),
        "version": new_version,
        "changed": changed,
    }
