"""What Cognito mails the salon's owners and staff, in Finnish, Swedish and English.

Cognito has one template per pool and knows nothing of a person's language (the owners
are created by an administrator: docs/deploy.md §6), and by default it writes English
only, with no word of where to sign in. Finland's salons read Finnish or Swedish, so each
message says it in the three languages the dashboard speaks, the code or the temporary
password once, on a line of its own, above them all.

Cognito's placeholders: `{username}` and `{####}` (the temporary password, or the code),
each required once in its template."""

from __future__ import annotations

from html import escape

# Cognito's limits: a subject of at most 140 characters, a body of at most 20 000.
SUBJECT_MAX = 140
BODY_MAX = 20_000


def invitation(sign_in_url: str) -> tuple[str, str]:
    """(subject, HTML body) of the invitation AdminCreateUser sends: her username, her
    temporary password and where to sign in."""
    url = escape(sign_in_url, quote=True)
    link = f'<a href="{url}">{url}</a>'
    subject = "Rebook: kutsu – inbjudan – invitation"
    body = (
        "<p>Käyttäjätunnus / Användarnamn / Username: <b>{username}</b><br>"
        "Väliaikainen salasana / Tillfälligt lösenord / Temporary password: <b>{####}</b></p>"
        f"<p>Sinut on kutsuttu salongin ajanvarauksen Rebookiin. Kirjaudu osoitteessa {link} yllä"
        " olevilla tunnuksilla ja valitse oma salasanasi. Väliaikainen salasana on voimassa seitsemän"
        " päivää.</p>"
        f"<p>Du har bjudits in till salongens bokningssystem Rebook. Logga in på {link} med"
        " uppgifterna ovan och välj ett eget lösenord. Det tillfälliga lösenordet gäller i sju"
        " dagar.</p>"
        f"<p>You have been invited to the salon's booking system, Rebook. Sign in at {link} with"
        " the details above and choose your own password. The temporary password is valid for"
        " seven days.</p>"
    )
    return subject, body


def code() -> tuple[str, str]:
    """(subject, HTML body) of the code Cognito mails for a forgotten password (its
    verification message; a changed address would be confirmed with it too)."""
    subject = "Rebook: koodi – kod – code"
    body = (
        "<p>Koodi / Kod / Code: <b>{####}</b></p>"
        "<p>Kirjoita koodi Rebookin kirjautumissivulle ja valitse uusi salasana. Jos et pyytänyt"
        " koodia, voit jättää viestin huomiotta: salasanasi pysyy ennallaan.</p>"
        "<p>Skriv koden på Rebooks inloggningssida och välj ett nytt lösenord. Om du inte bad om"
        " koden kan du bortse från meddelandet: ditt lösenord förblir oförändrat.</p>"
        "<p>Enter the code on Rebook's sign-in page and choose a new password. If you did not ask"
        " for it, you can ignore this message: your password stays as it is.</p>"
    )
    return subject, body
