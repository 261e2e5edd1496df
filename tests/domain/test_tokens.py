"""Signed link tokens: the manage link in a confirmation SMS must work for its owner,
fail for anyone who edits it, and expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from chalicelib.domain.tokens import PURPOSES, LinkClaims, TokenError, make_token, read_token

SECRET = "test-secret-please-ignore"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
EXPIRES = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
BUSINESS = "b7k2m9qx"  # 8-char business id
APPT = "a1b2c3d4e5f6"  # 12-char appointment id


def manage_token(**kw):
    args: dict = {"secret": SECRET, "purpose": "manage", "business_id": BUSINESS, "subject": APPT, "expires": EXPIRES}
    args.update(kw)
    return make_token(**args)


def reason(token, purpose="manage", now=NOW, secret=SECRET) -> str:
    with pytest.raises(TokenError) as exc:
        read_token(secret, token, purpose, now)
    return exc.value.reason


@pytest.mark.parametrize("purpose", sorted(PURPOSES))
def test_round_trip(purpose):
    token = make_token(SECRET, purpose, BUSINESS, APPT, EXPIRES)
    claims = read_token(SECRET, token, purpose, NOW)
    assert claims == LinkClaims(purpose, BUSINESS, APPT, EXPIRES)


def test_expiry_keeps_whole_seconds():
    token = manage_token(expires=EXPIRES + timedelta(microseconds=999_999))
    assert read_token(SECRET, token, "manage", NOW).expires == EXPIRES


def test_manage_token_fits_an_sms_link():
    token = manage_token(expires=datetime(2030, 1, 1, tzinfo=UTC))
    assert len(token) <= 70
    # Only characters that survive an SMS and a URL path unescaped.
    assert all(c.isascii() and (c.isalnum() or c in "-_.") for c in token)


def test_tokens_differ_per_appointment_and_per_secret():
    assert manage_token() != manage_token(subject="a1b2c3d4e5f7")
    assert manage_token() != manage_token(secret="other-secret")


def test_another_secret_cannot_read_it():
    assert reason(manage_token(), secret="other-secret") == "bad_signature"


def test_tampered_signature():
    token = manage_token()
    sig = token.rsplit(".", 1)[1]
    for i in range(len(sig)):
        swapped = "A" if sig[i] != "A" else "B"
        forged = token[: len(token) - len(sig) + i] + swapped + token[len(token) - len(sig) + i + 1 :]
        assert reason(forged) == "bad_signature"
    assert reason(token[:-1]) == "bad_signature"
    assert reason(token + "A") == "bad_signature"


@pytest.mark.parametrize(
    "part,value",
    [
        (0, "f"),  # purpose code changed to feedback
        (1, "b7k2m9qy"),  # another business
        (2, "a1b2c3d4e5f7"),  # another appointment
        (3, "zzzzzz"),  # later expiry
    ],
)
def test_tampered_payload(part, value):
    parts = manage_token().split(".")
    parts[part] = value
    assert reason(".".join(parts)) == "bad_signature"


@pytest.mark.parametrize("purpose", ["feedback", "unsubscribe", "rebook", "referral", "calendar"])
def test_token_for_another_purpose_is_refused(purpose):
    token = make_token(SECRET, purpose, BUSINESS, APPT, EXPIRES)
    assert reason(token, purpose="manage") == "wrong_purpose"
    assert read_token(SECRET, token, purpose, NOW).purpose == purpose


def test_manage_token_cannot_be_used_to_unsubscribe():
    assert reason(manage_token(), purpose="unsubscribe") == "wrong_purpose"


def test_expired():
    token = manage_token()
    assert read_token(SECRET, token, "manage", EXPIRES - timedelta(seconds=1))
    assert reason(token, now=EXPIRES) == "expired"
    assert reason(token, now=EXPIRES + timedelta(days=365)) == "expired"


def test_tampering_beats_expiry_and_purpose():
    # A forged token must never reveal whether it would have been expired/other purpose.
    parts = make_token(SECRET, "feedback", BUSINESS, APPT, NOW - timedelta(days=1)).split(".")
    parts[2] = "zzzzzzzzzzzz"
    assert reason(".".join(parts), now=NOW) == "bad_signature"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        ".",
        "...",
        ".....",
        "m.b7k2m9qx.a1b2c3d4e5f6.abc",
        "m.b7k2m9qx.a1b2c3d4e5f6.abc.def.ghi",
        "x" * 201,
        "m." + "a" * 200 + ".b.c.d",
        None,
        12345,
        b"m.a.b.c.d",
        ["m", "a", "b", "c", "d"],
    ],
)
def test_malformed_inputs_are_token_errors(bad):
    assert reason(bad) == "malformed"


def test_five_dotted_garbage_is_refused():
    assert reason("m.a.b.c.d") == "bad_signature"
    assert reason("a.b.c.d.e") == "bad_signature"
    assert reason("....") == "bad_signature"


@pytest.mark.parametrize("exp36", ["z" * 9, "zzzzzzzz", "-1", "1" * 40, "+1"])
def test_a_validly_signed_token_with_an_absurd_expiry_is_malformed_not_a_crash(exp36):
    # Only someone with the secret can sign one, but a 5xx is a 5xx: the expiry is
    # read with bounds, never into an overflow.
    from chalicelib.domain.tokens import _sign

    payload = f"m.{BUSINESS}.{APPT}.{exp36}"
    assert reason(f"{payload}.{_sign(SECRET, payload)}") == "malformed"


def test_ids_that_would_break_the_format_cannot_be_signed():
    for bad in ("", "has.dot", "UPPER", "space id", "a" * 65):
        with pytest.raises(ValueError):
            manage_token(subject=bad)
        with pytest.raises(ValueError):
            manage_token(business_id=bad)


# --- arbitrary input never escapes as anything but TokenError ---------------------

_ASCII = st.characters(min_codepoint=0, max_codepoint=127)


def _assert_only_token_error(token):
    try:
        read_token(SECRET, token, "manage", NOW)
    except TokenError as e:
        assert e.reason in {"malformed", "bad_signature", "expired", "wrong_purpose"}
    else:  # pragma: no cover - would mean a forgery
        pytest.fail(f"accepted a token that was never issued: {token!r}")


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=_ASCII, max_size=260),
        st.lists(st.text(alphabet=_ASCII, max_size=30), min_size=1, max_size=7).map(".".join),
    )
)
def test_arbitrary_ascii_text_only_raises_token_error(token):
    _assert_only_token_error(token)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="."), max_size=260))
def test_arbitrary_text_without_structure_only_raises_token_error(token):
    _assert_only_token_error(token)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=100), st.integers(min_value=0, max_value=4))
def test_mutating_a_real_token_is_caught(noise, where):
    token = manage_token()
    parts = token.split(".")
    parts[where] = parts[where] + noise.hex()
    if noise:
        assert reason(".".join(parts)) in {"bad_signature", "malformed"}


@pytest.mark.parametrize(
    "token",
    [
        "m.b7k2m9qx.a1b2c3d4e5f6.abc.ä",
        "m.b7k2m9qx.a1b2c3d4e5f6.abc.\u00a0",
        "\ud800.a.b.c.d",
    ],
)
def test_non_ascii_five_part_token_is_a_token_error(token):
    _assert_only_token_error(token)


@settings(max_examples=300, deadline=None, derandomize=True, report_multiple_bugs=False)
@given(st.lists(st.text(max_size=20), min_size=5, max_size=5).map(".".join))
@example("m.a.b.c.ä")
def test_arbitrary_unicode_five_part_text_only_raises_token_error(token):
    _assert_only_token_error(token)
