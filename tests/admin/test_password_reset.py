"""A forgotten password on the local stack (chalicelib/api/dev.py), as Cognito's
ForgotPassword and ConfirmForgotPassword behave in AWS: a code by email, good for an hour
and five tries, then the new password signs in and the old one no longer does; an address
with no account gets the same answer and no email."""

from __future__ import annotations

import json
import re
import stat
from datetime import timedelta

import pytest

from tests.conftest import dev_app, reset_caches

OWNER = "omistaja@salonaurora.example"


@pytest.fixture
def local(aws, frozen_now, monkeypatch, tmp_path):
    """The dev blueprint (the local stack's only) over a data dir of its own: its signing
    key in auth/ and one account in owners.json."""
    from chalice.test import Client

    from chalicelib.auth.local_keys import ensure_key
    from chalicelib.settings import get_settings

    ensure_key(tmp_path / "auth")
    monkeypatch.setenv("REBOOK_AUTH_JWKS_FILE", str(tmp_path / "auth" / "jwks.json"))
    reset_caches()
    get_settings()  # read now: the test client sets the dev stage's own environment
    account = {"email": OWNER, "password": "the-old-password", "business": "demo", "role": "owner"}
    (tmp_path / "owners.json").write_text(json.dumps({"accounts": [account]}))
    with Client(dev_app()) as client:
        yield client, tmp_path


def post(client, path: str, body: dict) -> tuple[int, dict]:
    r = client.http.post(path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    return r.status_code, json.loads(r.body)


def emails_to(address: str) -> list[str]:
    """The emails SES (moto's) took for `address`, decoded: the code goes straight to SES,
    not through the outbox."""
    import quopri

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    sent = ses_backends[DEFAULT_ACCOUNT_ID]["eu-north-1"].sent_messages
    return [
        quopri.decodestring(m.raw_data.encode()).decode("utf-8", "replace")
        for m in sent
        if address in str(m.destinations)
    ]


def code_in(text: str) -> str:
    found = set(re.findall(r"\b\d{6}\b", text))  # in the text and the HTML
    assert len(found) == 1, text
    return found.pop()


def test_a_forgotten_password_is_changed_with_the_code_from_the_email(local):
    client, data = local
    assert post(client, "/dev/sign-in", {"email": OWNER, "password": "the-old-password"})[0] == 200
    assert post(client, "/dev/forgot-password", {"email": " Omistaja@SalonAurora.example ", "lang": "sv"}) == (
        200,
        {"sent": True},
    )
    [mail] = emails_to(OWNER)
    assert "Din kod är" in mail and "Den gäller i 60 minuter" in mail  # the language she asked in
    code = code_in(mail)
    answer = post(client, "/dev/reset-password", {"email": OWNER, "code": code, "password": "a-new-password-1"})
    assert answer == (200, {"reset": True})
    assert post(client, "/dev/sign-in", {"email": OWNER, "password": "the-old-password"})[0] == 401
    status, body = post(client, "/dev/sign-in", {"email": OWNER, "password": "a-new-password-1"})
    assert status == 200 and body["role"] == "owner"
    # The passwords stay readable by their owner only; the code is spent.
    assert stat.S_IMODE((data / "owners.json").stat().st_mode) == 0o600
    again = post(client, "/dev/reset-password", {"email": OWNER, "code": code, "password": "another-password-2"})
    assert again[0] == 400 and again[1]["error"]["code"] == "expired_code"


def test_an_address_without_an_account_gets_the_same_answer_and_no_email(local):
    client, _ = local
    assert post(client, "/dev/forgot-password", {"email": "nobody@example.com"}) == (200, {"sent": True})
    assert emails_to("nobody@example.com") == []
    # A wrong guess is "not valid" as for an address with an account: the answers tell nobody which.
    post(client, "/dev/forgot-password", {"email": OWNER})
    for address in ("nobody@example.com", OWNER):
        answer = post(client, "/dev/reset-password", {"email": address, "code": "1234567", "password": "x" * 12})
        assert answer[0] == 400 and answer[1]["error"]["code"] == "bad_code", (address, answer)


def test_five_wrong_codes_spend_it_and_an_hour_ends_it(local, frozen_now):
    client, _ = local
    post(client, "/dev/forgot-password", {"email": OWNER})
    code = code_in(emails_to(OWNER)[-1])
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        status, body = post(client, "/dev/reset-password", {"email": OWNER, "code": wrong, "password": "x" * 12})
        assert status == 400 and body["error"]["code"] == "bad_code"
    status, body = post(client, "/dev/reset-password", {"email": OWNER, "code": code, "password": "x" * 12})
    assert status == 400 and body["error"]["code"] == "expired_code"
    # A new code, an hour and a minute later.
    post(client, "/dev/forgot-password", {"email": OWNER})
    code = code_in(emails_to(OWNER)[-1])
    frozen_now["now"] += timedelta(minutes=61)
    status, body = post(client, "/dev/reset-password", {"email": OWNER, "code": code, "password": "x" * 12})
    assert status == 400 and body["error"]["code"] == "expired_code"
    assert post(client, "/dev/sign-in", {"email": OWNER, "password": "the-old-password"})[0] == 200


def test_an_address_gets_five_codes_an_hour_and_a_spent_code_counts(local, frozen_now):
    """Five tries a code and five codes an hour: at most 25 guesses an hour at a
    six-digit code (asking again used to give five more tries at once), and no flood of
    mail to her."""
    client, _ = local
    for n in range(5):
        assert post(client, "/dev/forgot-password", {"email": OWNER}) == (200, {"sent": True}), n
        if n == 0:  # the first code spent on wrong guesses still counts as asked
            for _ in range(5):
                post(client, "/dev/reset-password", {"email": OWNER, "code": "0000000", "password": "x" * 12})
    status, body = post(client, "/dev/forgot-password", {"email": OWNER})
    assert status == 429 and body["error"]["code"] == "too_many_codes", body
    assert len(emails_to(OWNER)) == 5
    # The last code still works; an hour on, she may ask again.
    code = code_in(emails_to(OWNER)[-1])
    assert post(client, "/dev/reset-password", {"email": OWNER, "code": code, "password": "y" * 12})[0] == 200
    frozen_now["now"] += timedelta(minutes=61)
    assert post(client, "/dev/forgot-password", {"email": OWNER})[0] == 200


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/dev/forgot-password", {}, "email"),
        ("/dev/forgot-password", {"email": 5}, "email"),
        ("/dev/reset-password", {"email": OWNER, "password": "x" * 12}, "code"),
        ("/dev/reset-password", {"email": OWNER, "code": "123456", "password": "short"}, "password"),
        ("/dev/reset-password", {"email": OWNER, "code": "123456", "password": " a space at its start"}, "password"),
        ("/dev/reset-password", {"code": "123456", "password": "x" * 12}, "email"),
    ],
)
def test_what_is_missing_or_too_short_is_named(local, path, body, field):
    client, _ = local
    status, answer = post(client, path, body)
    assert status == 422 and field in answer["error"]["fields"], answer
    assert post(client, "/dev/sign-in", {"email": OWNER, "password": "the-old-password"})[0] == 200
