"""What the dashboard's blueprint serves besides the page: its ES modules from an
allow-list with the right content type and revalidation, and its words from the one
catalogue the server-rendered pages share (chalicelib/strings/*.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from chalice import Chalice
from chalice.test import Client

from chalicelib.api.dashboard import MODULES, dashboard, render_page
from chalicelib.pages.i18n import LOCALES, STRINGS, catalogue, words


@pytest.fixture(scope="module")
def http():
    app = Chalice(app_name="dashboard-assets")
    app.register_blueprint(dashboard)
    with Client(app) as client:
        yield client.http


def test_the_modules_are_served_from_an_allow_list_as_javascript(http):
    assert {"main.js", "api.js", "grid.js", "calendar.js", "i18n.js"} <= MODULES
    r = http.get("/static/dashboard/grid.js")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert b"export function layoutBlocks" in r.body
    for name in ("nope.js", "..%2Fdashboard.css", "dashboard.css", "main.mjs", "MAIN.js"):
        assert http.get(f"/static/dashboard/{name}").status_code == 404, name


def test_a_module_is_revalidated_by_its_etag(http):
    first = http.get("/static/dashboard/api.js")
    assert first.headers["Cache-Control"] == "no-cache"
    etag = first.headers["ETag"]
    again = http.get("/static/dashboard/api.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.body == b""
    assert http.get("/static/dashboard/api.js", headers={"If-None-Match": '"other"'}).status_code == 200


def test_the_page_loads_main_as_a_module_and_preloads_the_rest():
    html = render_page("en")
    assert '<script type="module" src="static/dashboard/main.js"></script>' in html
    for name in MODULES - {"main.js"}:
        assert f'<link rel="modulepreload" href="static/dashboard/{name}">' in html
    assert "{{" not in html


def test_the_dashboards_words_come_from_the_shared_catalogue(http):
    for locale in LOCALES:
        r = http.get(f"/admin/strings/{locale}.json")
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
        body = json.loads(r.body)
        assert body["dashboard"] == catalogue(locale)["dashboard"]
        assert body["kpi"]["visits"]["name"]
    assert json.loads(http.get("/admin/strings/sv.json").body)["dashboard"]["nav_calendar"] == "Kalender"
    for bad in ("de.json", "fi", "fi.js", "..json"):
        assert http.get(f"/admin/strings/{bad}").status_code == 404, bad


def test_the_pages_keep_their_words_and_api():
    assert words("sv")["book"] == "Boka tid"
    assert words("xx") is STRINGS["fi"]
    for locale in LOCALES:
        assert set(catalogue(locale)) == {"pages", "dashboard", "kpi"}
        assert set(STRINGS[locale]) == set(STRINGS["fi"])
        assert set(catalogue(locale)["dashboard"]) == set(catalogue("fi")["dashboard"])


def test_english_writes_a_percent_against_its_number_and_finnish_and_swedish_with_a_space():
    # "under 80% and 60%" in English; "alle 80 %" in Finnish and Swedish (their style guides).
    import re

    spaced = re.compile(r"(\d|\})[ \u00a0\u202f]%")
    for section in ("pages", "dashboard", "kpi"):
        english = catalogue("en")[section]
        assert not [k for k, v in english.items() if isinstance(v, str) and spaced.search(v)], section
    assert spaced.search(catalogue("fi")["dashboard"]["slipping_rule_regulars"])


def test_the_client_cards_headings_name_no_gender():
    # A walk: a man's card read "Meddelanden till henne", "Hennes uppgifter" (Finnish
    # "hän" is neither).
    import re

    gendered = {"en": re.compile(r"\b(her|she|hers)\b", re.I), "sv": re.compile(r"\b(hon|henne|hennes)\b", re.I)}
    for locale, pronouns in gendered.items():
        dashboard = catalogue(locale)["dashboard"]
        keys = [k for k in dashboard if k in ("cc_messages", "cc_data", "cc_export", "cc_exported", "cc_erase_hint")]
        keys += [k for k in dashboard if k.startswith("erase_upcoming") or k == "erase_cancel_note"]
        assert len(keys) == 8, keys
        assert not [k for k in keys if pronouns.search(dashboard[k])], locale


def test_the_cards_mean_gap_is_called_an_average_not_her_rhythm():
    """A walk: "Visit rhythm 49 days" beside "expected 21 Dec" (42 days, her rhythm: the
    median) and "every 68 days lately": the figure is the mean of her gaps, said so."""
    words = {"en": "average", "fi": "keskimäärin", "sv": "i snitt"}
    for locale, average in words.items():
        assert average in catalogue(locale)["dashboard"]["cc_interval"].lower(), locale


def test_what_the_owner_reads_about_a_client_names_no_gender():
    """The owner's dashboard and figures, in English and Swedish: no "her" or "she" (nor
    "hon", "henne", "hennes") about anyone. A physiotherapist's at-risk list read "the
    longest gap between her visits" for John and Seán; a new string saying so fails here.
    A warning's reason speaks of the owner's own business, not of "the salon's" interval
    (Finnish "hän" and "hänen" are neither: not checked)."""
    import re

    gendered = {
        "en": re.compile(r"\b(her|hers|herself|she)\b", re.I),
        "sv": re.compile(r"\b(hon|henne|hennes|henns)\b", re.I),
    }
    for locale, pronouns in gendered.items():
        said = [
            (f"{section}.{key}", text)
            for section in ("dashboard", "kpi")
            for key, text in _texts(catalogue(locale)[section])
        ]
        assert len(said) > 500, locale
        assert not [(key, text) for key, text in said if pronouns.search(text)], locale
        reasons = {k: v for k, v in catalogue(locale)["dashboard"].items() if k.startswith(("sig_", "no_signals"))}
        assert reasons and not [k for k, v in reasons.items() if re.search(r"\bsalon", v, re.I)], locale


def _texts(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _texts(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _texts(value, (*path, str(i)))
    elif isinstance(node, str):
        yield ".".join(path), node


def test_klo_kl_and_at_stay_on_the_line_of_their_time():
    """A no-break space joins klo, kl. and at to the time after them ("klo {time}"), as the
    emails and the money lines have it, so that on a 360 px phone "klo" never ends one line
    and "14.00" starts the next (the walk-in, the overlaps, a held SMS, a hold's deadline)."""
    import re

    broken = re.compile(r"(?<![\w.])(klo|kl\.|at)[ \t\u202f]+\{\w+\}")
    for locale in LOCALES:
        split = [key for key, text in _texts(catalogue(locale)) if broken.search(text)]
        assert not split, (locale, split)
    said = catalogue("fi")["dashboard"]["walk_in_busy_staff"].format(name="Aino", time="19.20")
    assert said == "Aino on varattu nyt. Hän ehtii tehdä palvelun seuraavan kerran klo\u00a019.20."
    # The emails' own words too (an SMS and a subject keep a plain space: GSM-7, one line).
    templates = Path(__file__).resolve().parents[2] / "chalicelib" / "notify" / "templates"
    in_emails = re.compile(r"(?<![\w.])(klo|kl\.|at)[ \t\u202f]+\{\{")
    split = [
        str(f.relative_to(templates))
        for f in sorted(templates.rglob("*"))
        if f.is_file() and ".sms." not in f.name and ".subject." not in f.name and in_emails.search(f.read_text())
    ]
    assert not split, split


def _contrast(a: str, b: str) -> float:
    """WCAG's contrast ratio of two #rrggbb colours."""

    def luminance(hex_colour: str) -> float:
        rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_block_being_moved_shows_it_without_fading_its_text():
    """In move mode the block being moved is marked by a dashed outline, not by fading it:
    its time and name (ink) and its service (muted grey) stay at 4.5:1 on its background
    (faded to .55 they fell to 2.08-3.33:1, axe color-contrast, serious)."""
    import re
    from pathlib import Path

    import chalicelib

    css = (Path(chalicelib.__file__).parent / "static" / "dashboard.css").read_text()
    colours = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", css))
    block = re.search(r"\.appt\.moving\s*\{([^}]*)\}", css)
    assert block, "no .appt.moving rule"
    rule = dict(re.findall(r"([\w-]+)\s*:\s*([^;]+);", block.group(1)))
    assert float(rule.get("opacity", "1")) == 1, rule
    assert "dashed" in rule.get("outline", ""), rule  # still plainly the one being moved
    background = rule.get("background", "").strip()
    background = colours.get(background.removeprefix("var(--").removesuffix(")"), background)
    if re.fullmatch(r"#[0-9a-fA-F]{3}", background):  # #fff
        background = "#" + "".join(c * 2 for c in background[1:])
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", background), f"not one solid colour under its text: {background}"
    for text in ("ink", "muted"):
        assert _contrast(colours[text], background) >= 4.5, (text, background)
