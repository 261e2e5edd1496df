"""Client pages in headless Chromium on the local stack: time to first render of the
booking page (first-contentful-paint, median of fresh browser profiles), the number of
requests the browser makes to Rebook in one full booking (service, time, details,
confirm), and the gzipped size of widget.js.

    .venv/bin/python bench/pages.py [--runs 7]

Starts its own local stack (scripts/local_stack.py) and Debian's Chromium; prints one
`bench:` line last.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import urllib.request
from pathlib import Path

from scripts.local_stack import scratch_stack
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE

ROOT = Path(__file__).resolve().parents[1]


def first_render_ms(browser, url: str) -> float:
    context = browser.new_context(viewport=PHONE, locale="fi-FI")
    page = context.new_page()
    page.goto(url)
    fcp = page.evaluate("""() => new Promise(done => {
        const seen = performance.getEntriesByName('first-contentful-paint');
        if (seen.length) return done(seen[0].startTime);
        new PerformanceObserver(list => done(list.getEntries()[0].startTime)).observe({type: 'paint', buffered: true});
    })""")
    context.close()
    return fcp


def requests_in_one_booking(browser, api: str) -> tuple[int, int]:
    """(requests for pages, script and the confirmation; requests for the shop window's
    images, which in AWS go to CloudFront, not to Rebook, and are cached for a year)."""
    context = browser.new_context(viewport=PHONE, locale="fi-FI")
    page = context.new_page()
    seen = []
    page.on("request", lambda r: seen.append(r.url) if r.url.startswith(api) and "favicon" not in r.url else None)
    page.goto(f"{api}/book/demo")
    page.get_by_role("link", name="Naisten hiustenleikkaus").first.click()
    days = page.locator("nav.days a")
    days.first.wait_for()
    for i in range(2, days.count()):
        if page.locator(".slots a").count():
            break
        label = days.nth(i).inner_text()
        days.nth(i).click()
        page.locator("nav.days a[aria-current=date]", has_text=label).wait_for()
    page.locator(".slots a").first.click()
    page.get_by_label("Nimi").fill("Bench Booker")
    page.get_by_label("Puhelin").fill("040 765 4321")
    page.get_by_role("button", name="Vahvista varaus").click()
    page.get_by_role("heading", name="Varaus vahvistettu!").wait_for()
    context.close()
    images = [u for u in seen if "/static/img/" in u]
    return len(seen) - len(images), len(images)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with scratch_stack("rebook-bench-") as stack:
        with urllib.request.urlopen(f"{stack.api}/widget.js") as r:
            widget = r.read()
        widget_kb = len(gzip.compress(widget, 9)) / 1024
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            first_render_ms(browser, f"{stack.api}/book/demo")  # warm the API process
            renders = [first_render_ms(browser, f"{stack.api}/book/demo") for _ in range(args.runs)]
            requests, images = requests_in_one_booking(browser, stack.api)
            browser.close()
    print(
        f"first render of /book/demo (FCP, median of {args.runs}): {statistics.median(renders):.0f} ms "
        f"(min {min(renders):.0f}, max {max(renders):.0f})"
    )
    print(f"requests to Rebook in one booking (pages, script, confirm): {requests}, and images: {images}")
    print(f"widget.js: {len(widget)} bytes, {widget_kb:.2f} KB gzipped")
    print(
        f"bench: first_render_ms={statistics.median(renders):.0f} api_requests_per_booking={requests} "
        f"image_requests_per_booking={images} widget_gzip_kb={widget_kb:.2f}"
    )


if __name__ == "__main__":
    main()
