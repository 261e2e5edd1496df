"""Browser tests: the `make run` stack (scripts/local_stack.py: DynamoDB Local, the mock
SES/SNS server, chalice local) started once per session on free ports with its own
data directory, and Debian's Chromium headless shell (installed by
scripts/ensure-system.sh) driven by Playwright. Screenshots go to
test-artifacts/screenshots/; axe-core comes from node_modules (package.json).

Both clocks are pinned, the stack's (REBOOK_NOW, which only a local stack honours) and
the browser's: the tests run on the same day whenever they run. PIN is an ordinary
Wednesday; tests/browser/test_dashboard.py also runs its period checks where periods
turn, on one stack of their own whose clock each moves back to its day, each with a
business of its own (seed.pinned_day).

Under pytest-xdist the tests on one stack run on one worker, so it starts once (units in
tests/conftest.py); every stack has its own free ports and data directory."""

from __future__ import annotations

import base64
import itertools
import json
import re
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import datetime
from functools import cache, partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import ROOT

# Debian's headless shell: the same Blink as /usr/bin/chromium without the browser's own
# layers, the build Playwright itself runs headless tests on. The browser tests took a
# fifth less CPU than with the full browser (tests/browser/test_dashboard.py and
# test_client_pages.py, -n 0, interleaved: 104 -> 81 and 105 -> 86 CPU-s). Lighthouse
# (bench/lighthouse.py) still runs the full browser, as PageSpeed does.
CHROMIUM = "/usr/lib/chromium/chromium-headless-shell"
FULL_CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
# Chromium on a closed network: no background connections, no sandbox as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PIN = "2026-11-25T12:00:00+02:00"  # Wednesday noon in Helsinki


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


class _KeptHandler(_QuietHandler):
    """Files that never change while the tests run: a profile fetches each once."""

    def end_headers(self):
        self.send_header("Cache-Control", "max-age=86400, immutable")
        super().end_headers()


def serve_directory(root: Path, handler: type[SimpleHTTPRequestHandler] = _QuietHandler) -> ThreadingHTTPServer:
    """The files under `root` on a free local port, from a daemon thread (.shutdown() stops it)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@cache
def axe_url() -> str:
    """axe-core's script at an address of this process's own (started once): a page loads it
    as a script of its own, which Chromium compiles off the page's thread, instead of taking
    its 650 kB through Playwright's pipes as the text of an inline script — half the CPU of
    each injection (0.63 -> 0.30 CPU-s, median of 10, a new profile each)."""
    server = serve_directory(AXE.parent, _KeptHandler)
    return f"http://127.0.0.1:{server.server_address[1]}/{AXE.name}"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.integration)
            item.add_marker(pytest.mark.browser)


class Stack:
    """A running stack as a test sees it: on the day its clock stands at (`now`; the one
    it started on unless moved: seed.pinned_day) and the business it seeds and signs in to
    (`business`, a slug: the demo salon unless told)."""

    def __init__(self, local, now: str | None = None, business: str = "demo"):
        self.local = local
        self.api = local.api
        self.env = local.env
        self.now = datetime.fromisoformat(now or local.now)  # its clock, stopped there
        self.business = business
        # Minutes before `now` (noon) of each visit seed.past_visit writes: an hour and its
        # buffer apart, one staff member's, never overlapping, and nine of them still on
        # the pinned day (the dashboard counts "today's" ratings).
        self.minutes_back = itertools.count(75, 75)

    def messages(self) -> dict:
        with urllib.request.urlopen(f"{self.api}/dev/messages.json", timeout=10) as r:
            return json.load(r)

    def emails_to(self, address: str, wait: float = 10, at_least: int = 1) -> list[dict]:
        """Her emails, once `at_least` of them have come (or `wait` seconds have passed:
        the caller's assertion then says how many came)."""
        deadline = time.monotonic() + wait
        while True:
            self.local.ensure_children_alive()  # a dead sender says so, not "0 emails"
            found = [m for m in self.messages()["emails"] if address in " ".join(m["to"])]
            if len(found) >= at_least or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def link_in(self, email: dict, path: str) -> str:
        match = re.search(re.escape(self.api) + path + r"[A-Za-z0-9._\-]+", email["text"])
        assert match, f"no {path} link in {email['subject']!r}"
        return match.group(0)


@contextmanager
def running_stack(now: str):
    """`make run`'s stack on free ports and its own data directory, its clock at `now`."""
    from scripts.local_stack import scratch_stack

    with scratch_stack("rebook-browser-", now) as local:
        yield Stack(local)


@pytest.fixture(scope="session")
def stack():
    with running_stack(PIN) as s:
        yield s


@pytest.fixture(scope="module")
def own_stack():
    """A stack of the module's own, on the same pinned day: what it books and changes
    meets no other module's, and it runs beside them under xdist (tests/conftest.py)."""
    with running_stack(PIN) as s:
        yield s


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make install` (scripts/ensure-system.sh installs it)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def pinned_context(browser, now: str = PIN, **kw):
    """A browser profile in Helsinki whose clock says `now` (the stack's)."""
    kw.setdefault("timezone_id", "Europe/Helsinki")
    context = browser.new_context(**kw)
    context.clock.set_fixed_time(datetime.fromisoformat(now))
    return context


def new_context(browser, now: str = PIN, **kw):
    """A browser profile; bypass_csp only so that axe-core can be injected into pages
    whose CSP (rightly) refuses inline scripts."""
    kw.setdefault("viewport", PHONE)
    kw.setdefault("locale", "fi-FI")
    return pinned_context(browser, now, bypass_csp=True, **kw)


@pytest.fixture
def page(browser):
    context = new_context(browser)
    p = context.new_page()
    p.set_default_timeout(15000)
    yield p
    context.close()


# --- the owner dashboard's accounts and signing in ----------------------------------------
TOKEN_KEY = "rebook.dashboard.token"  # chalicelib/static/dashboard/signin.js
# A tab is handed its token once: after a reload or a sign-out it keeps the page's own state.
PRIMED_KEY = "rebook.test.primed"


def accounts(stack) -> dict:
    """The local accounts of the stack's business, by role."""
    data = json.loads((stack.local.local_dir / "owners.json").read_text())
    return {a["role"]: a for a in data["accounts"] if a["business"] == stack.business}


def post_json(url: str, body: dict, headers: dict | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def token_of(stack, role: str) -> str:
    """A fresh token of the role's local account from the stack's POST /dev/sign-in (what
    the dashboard's form asks for)."""
    account = accounts(stack)[role]
    status, body = post_json(f"{stack.api}/dev/sign-in", {"email": account["email"], "password": account["password"]})
    assert status == 200, body
    return body["token"]


_tokens: dict[tuple, str] = {}


def dashboard_token(stack, role: str = "owner") -> str:
    """token_of, asked once per stack, business, role and day of the stack's clock (a
    token is valid for 12 hours of that clock from when it was issued)."""
    key = (str(stack.local.local_dir), stack.business, role, stack.now)
    if key not in _tokens:
        _tokens[key] = token_of(stack, role)
    return _tokens[key]


def admin(stack, method: str, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    """The owner API as the dashboard calls it: (status, the JSON answer or {}); `token`: one
    signed in at another moment of the stack's clock than the day's (token_of then)."""
    req = urllib.request.Request(
        f"{stack.api}/api/v1/admin{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Bearer {token or dashboard_token(stack)}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw) if raw else {}
        except ValueError:
            return e.code, {}


def sign_in_with_form(page, stack, role: str = "owner") -> None:
    """The dashboard's sign-in form, filled and sent as a person would, until she is in:
    a caller that goes on at once (to another address) would cut the sign-in short."""
    account = accounts(stack)[role]
    page.goto(f"{stack.api}/admin")
    form = page.locator("#sign-in-form")
    form.get_by_label("Sähköposti").fill(account["email"])
    form.get_by_label("Salasana", exact=True).fill(account["password"])
    form.get_by_role("button", name="Kirjaudu", exact=True).click()
    page.locator("#app").wait_for()


def signed_in_context(browser, stack, role: str = "owner", **kw):
    """A browser profile (new_context) whose tabs open the stack's dashboard signed in as
    the role already: its token is in the tab's sessionStorage before the page's scripts
    run, where the sign-in form would have put it. Only tests about signing in need the
    form (sign_in_with_form); this spares the others a sign-in each."""
    context = new_context(browser, **kw)
    origin = json.dumps(stack.api.rstrip("/"))
    token = json.dumps(dashboard_token(stack, role))
    context.add_init_script(
        f"if (location.origin === {origin} && !sessionStorage.getItem({json.dumps(PRIMED_KEY)})) {{"
        f" sessionStorage.setItem({json.dumps(PRIMED_KEY)}, '1');"
        f" sessionStorage.setItem({json.dumps(TOKEN_KEY)}, {token}); }}"
    )
    return context


def open_dashboard(context, stack, role: str = "owner", form: bool = False):
    """A new tab on the stack's dashboard, signed in (through the form if told, else by
    the context's token: signed_in_context), once its calendar is drawn."""
    page = context.new_page()
    page.set_default_timeout(15000)
    if form:
        sign_in_with_form(page, stack, role)
    else:
        page.goto(f"{stack.api}/admin")
    page.locator("#app").wait_for()
    page.locator("#calendar .cal").wait_for()
    return page


@pytest.fixture
def dashboard(browser, stack):
    """dashboard(size, role="owner", form=False): a tab signed in to the stack's
    dashboard at that viewport (open_dashboard), in a profile of its own closed after
    the test."""
    contexts = []

    def open_(size, role: str = "owner", form: bool = False):
        if form:
            context = new_context(browser, viewport=size)
        else:
            context = signed_in_context(browser, stack, role, viewport=size)
        contexts.append(context)
        return open_dashboard(context, stack, role, form)

    yield open_
    for c in contexts:
        c.close()


@pytest.fixture(scope="session")
def host_site(stack):
    """Somebody's own website (another origin) with the one-line widget snippet and CSS
    that would wreck any widget it could reach."""
    snippet = f'<script src="{stack.api}/widget.js" data-business="demo" async></script>'
    inline = f'<script src="{stack.api}/widget.js" data-business="demo" data-mode="inline" async></script>'
    hostile = "<style>* { color: #f0f !important; font-size: 40px !important; } button { display: none; }</style>"
    with tempfile.TemporaryDirectory(prefix="rebook-host-", ignore_cleanup_errors=True) as d:
        root = Path(d)
        (root / "index.html").write_text(
            f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Salon Aurora</title>{hostile}</head>"
            f"<body><main><h1>Salon Aurora</h1><p>Welcome!</p>{snippet}</main></body></html>"
        )
        (root / "inline.html").write_text(
            f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Salon Aurora</title></head>"
            f"<body><main><h1>Book with us</h1>{inline}</main></body></html>"
        )
        # A site whose own layout would trap a pop-up that is part of it: a sticky header
        # above everything, the snippet inside a section left transformed and clipped by a
        # scroll-animation library, and a long page to scroll behind the booking.
        (root / "layered.html").write_text(
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'><title>Salon Aurora</title>"
            "<style>header { position: sticky; top: 0; z-index: 99999; height: 90px; background: #222; }"
            " section { transform: translateY(0); overflow: hidden; position: relative; z-index: 1; }"
            " .long { height: 3000px; }</style></head>"
            f"<body><header>Salon Aurora</header><section><h1>Book with us</h1>{snippet}</section>"
            "<div class='long'></div><a href='#top'>Back to top</a></body></html>"
        )
        (root / "noviewport.html").write_text(  # an old salon site: no viewport meta tag
            f"<!doctype html><html lang='fi'><head><meta charset='utf-8'><title>Salon Aurora</title></head>"
            f"<body><main><h1>Salon Aurora</h1>{snippet}</main></body></html>"
        )
        (root / "about.html").write_text(  # a page of the site without the widget
            "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>About us</title></head>"
            "<body><main><h1>About us</h1><a href='index.html'>Home</a></main></body></html>"
        )
        (root / "iframe.html").write_text(
            f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Salon Aurora</title></head>"
            f"<body><main><h1>Book</h1><iframe title='Book' src='{stack.api}/book/demo?embed=1' "
            f"style='width:100%;height:700px;border:0'></iframe></main></body></html>"
        )
        server = serve_directory(root)
        yield f"http://127.0.0.1:{server.server_address[1]}"
        server.shutdown()


SERIOUS = ("serious", "critical")
ALL_IMPACTS = ("minor", "moderate", "serious", "critical")


# axe-core, without the rules that cannot report any of the impacts asked for: a failed
# check reports its rule's impact if the rule has one, else the check's own (axe-core's
# _finalizeRuleResult and _publishMetaData). Asked for serious and critical only, the
# landmark, heading and region rules (all moderate or minor) would only be filtered out.
AXE_RUN = """([wanted, selectors]) => {
  const checks = axe._audit.data.checks || {};
  const off = {};
  for (const rule of axe._audit.rules) {
    const ids = [...rule.any, ...rule.all, ...rule.none].map((c) => (typeof c === 'string' ? c : c.id));
    const can = rule.impact ? [rule.impact] : ids.map((id) => (checks[id] || {}).impact);
    if (!can.some((impact) => wanted.includes(impact))) off[rule.id] = { enabled: false };
  }
  return axe.run(document, { resultTypes: ['violations'], selectors, rules: off });
}"""


def axe_violations(page_or_frame, impacts: tuple[str, ...] = SERIOUS) -> list[str]:
    """axe-core's violations on the page of the given impacts (serious and critical unless
    told), one line each. The dashboard's and the front desk's tests ask for every impact."""
    if page_or_frame.evaluate("typeof window.axe === 'undefined'"):  # once per document
        page_or_frame.add_script_tag(url=axe_url())  # the pages' CSP is bypassed (new_context)
    # Without a CSS selector for every node it reports (a tenth of axe's time on the
    # dashboard); asked again with them only to name the nodes of a violation.
    result = page_or_frame.evaluate(AXE_RUN, [list(impacts), False])
    if any(v["impact"] in impacts for v in result["violations"]):
        result = page_or_frame.evaluate(AXE_RUN, [list(impacts), True])
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in impacts
    ]


# The whole document's size as Playwright's full_page screenshot measures it.
PAGE_SIZE = """() => {
  const d = document.documentElement, b = document.body || d;
  return [Math.max(b.scrollWidth, d.scrollWidth, b.offsetWidth, d.offsetWidth, b.clientWidth, d.clientWidth),
          Math.max(b.scrollHeight, d.scrollHeight, b.offsetHeight, d.offsetHeight, b.clientHeight, d.clientHeight)];
}"""


def photograph(page, path: Path) -> None:
    """The whole page as a PNG at `path` (a test artefact: nothing reads it back), by
    Chromium's own capture encoding for speed (a bigger file of the same picture) where
    Playwright's full_page screenshot encodes for size: 0.40 -> 0.24 CPU-s a picture of the
    settings screen (median of 8, alternately)."""
    width, height = page.evaluate(PAGE_SIZE)
    session = page.context.new_cdp_session(page)
    try:
        shot = session.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "optimizeForSpeed": True,
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
            },
        )
    finally:
        session.detach()
    path.write_bytes(base64.b64decode(shot["data"]))


def shoot(page, name: str) -> None:
    """The page at phone and desktop width, saved as test artefacts."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        photograph(page, ARTIFACTS / f"{name}-{label}.png")
    page.set_viewport_size(original)


# What code writes out when it hands the page an empty value ("null" from append(),
# "undefined" from a missing field, "NaN" from a sum of one, "None" from a template): never
# words a person reads. Only a word's start is checked: a leaked text node runs on into the
# next ("nullTarkista").
LEAKED = re.compile(r"(?<!\w)(null|undefined|NaN|None)")


def no_leaked_values(page, name: str) -> None:
    found = LEAKED.findall(page.inner_text("body"))
    assert not found, f"{name} shows {found}"


def check_page(page, name: str, impacts: tuple[str, ...] = SERIOUS) -> None:
    shoot(page, name)
    assert axe_violations(page, impacts) == [], name
    no_leaked_values(page, name)


def check_as_it_is(page, artifacts: Path, name: str, impacts: tuple[str, ...] = SERIOUS) -> None:
    """A screenshot of the page as it is, at its viewport (artifacts/name-WxH.png), then
    axe-core on it: no violation of the given impacts."""
    artifacts.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    photograph(page, artifacts / f"{name}-{size['width']}x{size['height']}.png")
    assert axe_violations(page, impacts) == [], name
    no_leaked_values(page, name)


SMALL_PHONE = {"width": 360, "height": 740}
NARROW_PHONE = {"width": 320, "height": 640}


def sticking_out(page, selector: str) -> list[str]:
    """What under `selector` (shown) reaches past the screen's right edge or its dialog's,
    and a dialog that scrolls sideways: one line each, at most five."""
    return page.evaluate(
        """(selector) => {
            const root = document.querySelector(selector);
            const dialog = root.closest('dialog');
            const edge = Math.min(innerWidth, dialog ? dialog.getBoundingClientRect().right : innerWidth) + 0.5;
            const out = [...root.querySelectorAll('*')]
              .filter((n) => n.getClientRects().length && n.getBoundingClientRect().right > edge)
              .map((n) => `${n.tagName}#${n.id}.${n.className} right=${Math.round(n.getBoundingClientRect().right)}`);
            if (dialog && dialog.scrollWidth > dialog.clientWidth) out.unshift(`${dialog.id} scrolls sideways`);
            return out.slice(0, 5);
        }""",
        selector,
    )


def cut_short(page, selector: str) -> list[str]:
    """The date and time inputs under `selector` narrower than their value as the browser
    writes it ("12:00 PM" in a 12-hour locale): each with its width and the width it needs."""
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
            .flatMap((root) => [...root.querySelectorAll('input[type=date], input[type=time], input[type=datetime-local]')])
            .filter((n) => n.getClientRects().length)
            .map((n) => {
              const whole = n.cloneNode();
              Object.assign(whole.style, { position: 'absolute', visibility: 'hidden', width: 'auto', minWidth: '0' });
              n.after(whole);
              const need = whole.getBoundingClientRect().width;
              whole.remove();
              return [n.id, n.getBoundingClientRect().width, need];
            })
            .filter(([, has, need]) => has + 0.5 < need)
            .map(([id, has, need]) => `${id} ${Math.round(has)} < ${Math.round(need)} px`)""",
        selector,
    )


def check_client_page(page, name: str) -> None:
    """A client page (issue 17, 11): photographed, and no axe-core violation of any impact
    on a 360 px phone or on a desktop."""
    shoot(page, name)
    no_leaked_values(page, name)
    original = page.viewport_size
    for size in (SMALL_PHONE, DESKTOP):
        page.set_viewport_size(size)
        assert axe_violations(page, ALL_IMPACTS) == [], f"{name} at {size['width']} px"
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), f"{name} scrolls sideways"
    page.set_viewport_size(original)
