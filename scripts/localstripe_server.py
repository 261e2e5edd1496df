"""localstripe (PyPI, GPL-3.0): a stateful fake Stripe server, run as a separate process
— never imported or vendored — for `make run` and the tests. It serves the Stripe API,
a stand-in for Stripe.js at /js.stripe.com/v3/ (Card Element, confirmCardSetup,
confirmCardPayment with a 3-D Secure dialog), and signed webhooks configured through
/_config/webhooks/<id>."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from scripts.dynamodb_local import stop_process_group

SECRET_KEY = "sk_test_rebook_local"
PUBLISHABLE_KEY = "pk_test_rebook_local"
WEBHOOK_SECRET = "whsec_rebook_local"


@dataclass
class LocalStripe:
    port: int
    proc: subprocess.Popen | None = None
    log_path: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

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

    def start(self, timeout: float = 30) -> LocalStripe:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "localstripe", "--port", str(self.port), "--from-scratch"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"localstripe exited with {self.proc.returncode}")
            try:
                urllib.request.urlopen(self.js_url, timeout=1).close()
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"localstripe did not answer on {self.url} within {timeout} s")

    def send_webhooks_to(self, url: str, secret: str = WEBHOOK_SECRET) -> None:
        data = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
        urllib.request.urlopen(f"{self.url}/_config/webhooks/rebook", data=data, timeout=5).close()

    def stop(self) -> None:
        stop_process_group(self.proc)
        self.proc = None
