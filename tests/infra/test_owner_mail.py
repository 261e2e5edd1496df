"""What Cognito mails owners and staff (infra/owner_mail.py): each placeholder Cognito
requires once, within its limits, the sign-in address as a link that cannot break out."""

from __future__ import annotations

from infra import owner_mail


def test_the_invitation_names_her_username_password_and_where_to_sign_in_in_three_languages():
    subject, body = owner_mail.invitation("https://book.salon.fi/admin")
    assert body.count("{username}") == 1 and body.count("{####}") == 1
    assert body.count('<a href="https://book.salon.fi/admin">') == 3
    assert all(w in body for w in ("Kirjaudu", "Logga in", "Sign in", "seitsemän", "sju", "seven"))
    assert len(subject) <= owner_mail.SUBJECT_MAX and len(body) <= owner_mail.BODY_MAX


def test_the_address_is_escaped():
    _, body = owner_mail.invitation('https://x.fi/admin"><script>')
    assert "<script>" not in body and "&quot;&gt;&lt;script&gt;" in body


def test_the_code_once_in_three_languages():
    subject, body = owner_mail.code()
    assert body.count("{####}") == 1 and "{username}" not in body
    assert all(w in body for w in ("uusi salasana", "nytt lösenord", "new password"))
    assert len(subject) <= owner_mail.SUBJECT_MAX and len(body) <= owner_mail.BODY_MAX
