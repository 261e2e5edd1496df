"""Raw MIME email for SES send_raw_email: text + HTML alternatives and attachments.

Built with the stdlib email package and the SMTP policy (CRLF line ends, headers
folded at 78, non-ASCII headers RFC 2047-encoded). Bodies are quoted-printable, so
the message is 7-bit clean whatever the relay.
"""
from __future__ import annotations

from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr


def _address(value: str) -> Address:
    """'Salon Äurora <x@esimerkki.fi>' -> Address, with an IDN domain punycoded.

    A non-ASCII local part cannot be sent without SMTPUTF8 (SES does not offer it).
    """
    name, addr = parseaddr(value)
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain:
        raise ValueError("not an email address")
    if not local.isascii():
        raise ValueError("non-ASCII local part in email address")
    return Address(display_name=name, username=local, domain=domain.encode("idna").decode("ascii"))


def _split_type(mime_type: str) -> tuple[str, str, dict[str, str]]:
    """'text/calendar; method=REQUEST' -> ('text', 'calendar', {'method': 'REQUEST'})."""
    head, *params = [p.strip() for p in mime_type.split(";") if p.strip()]
    maintype, _, subtype = head.lower().partition("/")
    parsed = {}
    for p in params:
        key, _, val = p.partition("=")
        parsed[key.strip().lower()] = val.strip().strip('"')
    return maintype, subtype or "octet-stream", parsed


def build_email(*, sender: str, to: str, subject: str, text: str, html: str,
                attachments: list[tuple[str, str, bytes]] | tuple = (),
                headers: dict[str, str] | None = None) -> bytes:
    """The whole message as bytes (CRLF line ends).

    multipart/mixed( multipart/alternative(text/plain, text/html), attachments... ),
    or just multipart/alternative when there is nothing attached. `headers` are added
    verbatim (e.g. List-Unsubscribe, List-Unsubscribe-Post) and replace any default.
    """
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = _address(sender)
    msg["To"] = _address(to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(usegmt=True)
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")

    for filename, mime_type, data in attachments:
        maintype, subtype, params = _split_type(mime_type)
        if maintype == "text":
            # Calendar apps (Outlook in particular) expect the charset on text/calendar.
            params.setdefault("charset", "UTF-8")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename, params=params)

    for part in msg.walk():
        if part is not msg:
            del part["MIME-Version"]  # the stdlib adds it to sub-parts; it belongs on top only

    for name, value in (headers or {}).items():
        if "\r" in value or "\n" in value:
            raise ValueError(f"line break in header {name}")
        del msg[name]
        msg[name] = value
    return msg.as_bytes()
