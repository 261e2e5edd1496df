"""`rebook_cli owner-token`: the documented way to sign in to the local stack."""

from __future__ import annotations

import pytest

from tests.admin.helpers import call


def issue(capsys, *args):
    from scripts import rebook_cli

    rebook_cli.main(["owner-token", *args])
    return capsys.readouterr().out.strip()


def test_the_token_opens_the_owner_api_of_that_business(client, aws, capsys):
    token = issue(capsys, "demo")
    status, me = call(client, "GET", "/api/v1/admin/me", token)
    assert status == 200 and me["business"]["slug"] == "demo" and me["role"] == "owner"
    # Every owner-only permission, so the dashboard knows what to ask for (not a staff member).
    assert {"kpis", "import", "settings", "export"} <= set(me["permissions"])


def test_a_staff_token_has_the_staff_role(client, aws, capsys):
    token = issue(capsys, "demo", "--role", "staff", "--staff", "aino")
    _, me = call(client, "GET", "/api/v1/admin/me", token)
    assert (me["role"], me["staff_id"], me["permissions"]) == ("staff", "aino", [])
    assert call(client, "GET", "/api/v1/admin/audit", token)[0] == 403


@pytest.mark.parametrize(
    "args,message",
    [
        (["no-such-salon"], "no business"),
        (["demo", "--role", "staff", "--staff", "nobody"], "no staff member"),
    ],
)
def test_unknown_business_or_staff_is_refused(aws, capsys, args, message):
    with pytest.raises(SystemExit) as exit_:
        issue(capsys, *args)
    assert message in str(exit_.value)


def test_no_local_key_no_token(aws, capsys, monkeypatch):
    """In AWS owners sign in through Cognito; the CLI cannot mint tokens there."""
    from chalicelib.settings import reset_settings

    monkeypatch.delenv("REBOOK_AUTH_JWKS_FILE")
    monkeypatch.setenv(
        "REBOOK_AUTH_JWKS_URL", "https://cognito-idp.eu-north-1.amazonaws.com/pool/.well-known/jwks.json"
    )
    reset_settings()
    with pytest.raises(SystemExit) as exit_:
        issue(capsys, "demo")
    assert "Cognito" in str(exit_.value)
