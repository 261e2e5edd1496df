"""Lighthouse (mobile, its default throttling) on the client pages of a local stack:
`/book/demo`, a manage page `/m/<token>` and a feedback page `/f/<token>`, in Debian's
Chromium; prints the four category scores of each page and one `bench:` line last.

    .venv/bin/python bench/lighthouse.py

Lighthouse is an npm tool the app does not need: it is installed on first use into
.local/lighthouse (pinned: 12.2.3 runs on Node 20; 13 wants Node 22), or give its
binary in LIGHTHOUSE. The stack's clock is pinned like the browser tests' (their seed
writes the visit behind the links)."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import timedelta
from pathlib import Path

from tests.browser.conftest import FULL_CHROMIUM, PIN, running_stack

ROOT = Path(__file__).resolve().parents[1]
VERSION = "12.2.3"
TOOL = ROOT / ".local" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def lighthouse_binary() -> str:
    if os.environ.get("LIGHTHOUSE"):
        return os.environ["LIGHTHOUSE"]
    binary = TOOL / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        TOOL.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "i",
                "-E",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "--prefix",
                str(TOOL),
                f"lighthouse@{VERSION}",
            ],
            check=True,
        )
    return str(binary)


def scores(binary: str, url: str) -> dict[str, int]:
    done = subprocess.run(
        [
            binary,
            url,
            "--quiet",
            "--output=json",
            "--only-categories=" + ",".join(CATEGORIES),
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run",
        ],
        env={**os.environ, "CHROME_PATH": FULL_CHROMIUM},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    report = json.loads(done.stdout)
    for c in CATEGORIES:  # what cost points, to fix or to explain
        for ref in report["categories"][c]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                print(f"  {url.split('/')[3]}: {c}: {ref['id']} ({audit['score']}): {audit['title']}")
    return {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}


def main() -> None:
    from chalicelib import clock, links
    from tests.browser.seed import past_visit, stack_env
    from tests.history import past_visits

    binary = lighthouse_binary()
    with running_stack(PIN) as stack:
        visit = past_visit(stack, "Bench Client", "bench@example.com")
        with stack_env(stack):
            start = (clock.now() + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
            [appt] = past_visits(
                [start], name="Bench Client", phone=None, email="bench@example.com", status="booked"
            ).appointments
            manage = links.manage_url(links.manage_token(appt.business_id, appt.id, appt.end))
        pages = {"book": f"{stack.api}/book/demo", "manage": manage, "feedback": visit["feedback"] + "?r=5"}
        found = {name: scores(binary, url) for name, url in pages.items()}
    for name, s in found.items():
        print(f"{name:9} " + "  ".join(f"{c} {v}" for c, v in s.items()))
    print("bench: " + " ".join(f"{name}_{c.replace('-', '_')}={v}" for name, s in found.items() for c, v in s.items()))


if __name__ == "__main__":
    main()
