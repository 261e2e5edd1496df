"""localstripe (PyPI, GPL-3.0): a stateful fake Stripe server, run as a separate process
— never imported or vendored — for `make run` and the tests. It serves the Stripe API,
a stand-in for Stripe.js at /js.stripe.com/v3/ (Card Element, confirmCardSetup,
confirmCardPayment with a 3-D Secure dialog), and signed webhooks configured through
/_config/webhooks/<id>."""

from __future__ import annotations

import sys
import urllib.parse
import urllib.request

from scripts.dynamodb_local import LocalServer

SECRET_KEY = "sk_test_rebook_local"
PUBLISHABLE_KEY = "pk_test_rebook_local"
WEBHOOK_SECRET = "whsec_rebook_local"
SERVE_ON_LOOPBACK = """
import logging, sys
from aiohttp import web
from localstripe.server import app
log = logging.getLogger("aiohttp.access")
log.setLevel(logging.DEBUG)
log.addHandler(logging.StreamHandler())
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=log)
"""


class LocalStripe(LocalServer):
    what = "localstripe"
    log_prefix = "localstripe-"

    @property
    def url(self) -> str:
        return self.endpoint

    @property
    def js_url(self) -> str:
        return f"{self.url}/js.stripe.com/v3/"

    def env(self) -> dict[str, str]:
        """What Rebook reads to use it (chalicelib/settings.py)."""
        return {
            "REBOOK_STRIPE_API_BASE": self.url,
            "REBOOK_STRIPE_JS_URL": self.js_url,
            "REBOOK_STRIPE_SECRET_KEY": SECRET_KEY,
            "REBOOK_STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
            "REBOOK_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }

    def command(self) -> list[str]:
        # Its own `start()` listens on every interface (`::`); this is what it runs (from
        # scratch: no store loaded), on the loopback only: nothing on the network reaches it.
        return [sys.executable, "-c", SERVE_ON_LOOPBACK, str(self.port)]

    def _answers(self) -> bool:
        try:
            urllib.request.urlopen(self.js_url, timeout=1).close()
            return True
        except OSError:  # URLError and ConnectionError are OSErrors: not listening yet
            return False

    def send_webhooks_to(self, url: str, secret: str = WEBHOOK_SECRET) -> None:
        data = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
        urllib.request.urlopen(f"{self.url}/_config/webhooks/rebook", data=data, timeout=5).close()
