"""English messages begin each paragraph with a capital, after "Hi Emma," too (the
Finnish and Swedish templates follow their own languages' letters)."""

from __future__ import annotations

from pathlib import Path

TEMPLATES = Path(__file__).parents[2] / "chalicelib" / "notify" / "templates"


def test_every_paragraph_of_an_english_text_message_begins_with_a_capital():
    lower = [
        f"{path.relative_to(TEMPLATES)}:{n}"
        for path in sorted(TEMPLATES.glob("*/en.text.txt"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if line[:1].islower()
    ]
    assert len(list(TEMPLATES.glob("*/en.text.txt"))) > 10
    assert lower == []
