"""Raw MIME email for SES send_raw_email: text + HTML alternatives and attachments.

Built with the stdlib email package and the SMTP policy (CRLF line ends, headers
folded at 78). Bodies are quoted-printable, so the message is 7-bit clean whatever
the relay.

Subject and display names are RFC 2047-encoded with email.header.Header: the SMTP
policy's own folder (Python 3.11) loses the space between two non-ASCII words when
a long header folds ("14.00 – äöå" came back as "14.00  –äöå").
"""

from __future__ import annotations

import re
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr

_NAME_ADDR = re.compile(r"^(.*)<([^<>]*)>\s*$", re.S)


class _Encoded(str):
    """A header whose folded, encoded form is fixed here; it reads as the plain value."""

    name: str
    encoded: str

    def __new__(cls, name: str, value: str, encoded: str):
        self = super().__new__(cls, value)
        self.name = name  # the policy stores objects with a matching .name as they are
        self.encoded = encoded
        return self

    def fold(self, *, policy) -> str:
        return f"{self.name}: {self.encoded}{policy.linesep}"


def _header(name: str, value: str) -> str:
    # ASCII folded here too: the SMTP policy folds a long ASCII subject right after
    # "Subject:", and a reader keeps the fold's space ("Subject: Jouduimme..." came back
    # as " Jouduimme..."); Header folds at the value's own spaces.
    charset = "us-ascii" if value.isascii() else "utf-8"
    encoded = Header(value, charset, header_name=name).encode(linesep="\r\n")
    if value.isascii() and not encoded.split("\r\n", 1)[0]:
        encoded = value  # no space to fold at in its first 78: one line (RFC 5322 allows 998)
    return _Encoded(name, value, encoded)


def _address(name: str, value: str) -> str:
    """'Salon Äurora <x@esimerkki.fi>' as a header, with an IDN domain punycoded.

    A non-ASCII local part cannot be sent without SMTPUTF8 (SES does not offer it).
    """
    # "Name <addr>" is split by hand: callers build it with f-strings, and parseaddr
    # misreads an unquoted display name with a comma ("Salon, Aurora <...>").
    match = _NAME_ADDR.match(value)
    if match:
        display, addr = match.group(1).strip(), match.group(2).strip()
        if len(display) >= 2 and display[0] == display[-1] == '"':
            display = display[1:-1].replace('\\"', '"')
    else:
        display, addr = parseaddr(value)
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain or " " in addr:
        raise ValueError("not an email address")
    if not local.isascii():
        raise ValueError("non-ASCII local part in email address")
    addr = f"{local}@{domain.encode('idna').decode('ascii')}"
    if display.isascii():
        return formataddr((display, addr))
    encoded = Header(display, "utf-8", header_name=name).encode(linesep="\r\n")
    return _Encoded(name, f"{display} <{addr}>", f"{encoded} <{addr}>")


def _split_type(mime_type: str) -> tuple[str, str, dict[str, str]]:
    """'text/calendar; method=REQUEST' -> ('text', 'calendar', {'method': 'REQUEST'})."""
    head, *params = [p.strip() for p in mime_type.split(";") if p.strip()]
    maintype, _, subtype = head.lower().partition("/")
    parsed = {}
    for p in params:
        key, _, val = p.partition("=")
        parsed[key.strip().lower()] = val.strip().strip('"')
    return maintype, subtype or "octet-stream", parsed


def build_email(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    attachments: list[tuple[str, str, bytes]] | tuple = (),
    headers: dict[str, str] | None = None,
    reply_to: str | None = None,
) -> bytes:
    """The whole message as bytes (CRLF line ends).

    multipart/mixed( multipart/alternative(text/plain, text/html), attachments... ),
    or just multipart/alternative when there is nothing attached. `headers` are added
    verbatim (e.g. List-Unsubscribe, List-Unsubscribe-Post) and replace any default.
    """
    if any("\r" in v or "\n" in v for v in (sender, to, subject, reply_to or "")):
        raise ValueError("line break in sender, recipient, reply address or subject")
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = _address("From", sender)
    if reply_to:
        msg["Reply-To"] = _address("Reply-To", reply_to)
    msg["To"] = _address("To", to)
    msg["Subject"] = _header("Subject", subject)
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

    extra = b""
    for name, value in (headers or {}).items():
        if "\r" in value or "\n" in value or not value.isascii() or not name.isascii():
            raise ValueError(f"header {name} must be one line of ASCII")
        del msg[name]
        # Written verbatim: a long URL header (List-Unsubscribe) has no space to fold at, and
        # the stdlib would turn it into an RFC 2047 encoded word that mail clients do not
        # read as a URL. RFC 5322 allows 998 characters per line.
        extra += f"{name}: {value}\r\n".encode("ascii")
    head, sep, body = msg.as_bytes().partition(b"\r\n\r\n")
    return head + b"\r\n" + extra.rstrip(b"\r\n") + sep + body if extra else head + sep + body
