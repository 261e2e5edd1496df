"""One list of languages and one negotiation for every page, message and validator."""

import pytest

from chalicelib.domain.locales import LOCALES, negotiate, normalize, supported


@pytest.mark.parametrize(
    ("requested", "accept", "default", "expected"),
    [
        ("sv", "en-GB,en;q=0.9", "fi", "sv"),  # ?lang= wins
        ("de", "en-GB,en;q=0.9", "fi", "en"),  # a language we do not speak is ignored
        (None, "de-DE,sv-FI;q=0.8,en;q=0.5", "fi", "sv"),  # the browser's first one we speak
        (None, "EN_us", "fi", "en"),
        (None, "", "sv", "sv"),  # then the business's own
        (None, None, "de", "fi"),  # and Finnish last
        ("", " , ;q=0.1", None, "fi"),
    ],
)
def test_negotiation_order(requested, accept, default, expected):
    assert negotiate(requested, accept, default) == expected


def test_normalize_and_supported():
    assert [normalize(t) for t in ("fi", "sv-FI", "EN_gb", "de", None, "")] == ["fi", "sv", "en", "fi", "fi", "fi"]
    assert supported("de") is None and supported("sv-SE") == "sv"
    assert LOCALES[0] == "fi"
