"""Read what the local mock AWS server "sent" and render it for people.

Used by the local-only dev blueprint (chalicelib.api.dev) and by the
`scripts.sent_messages` CLI. Standard library only, so it costs nothing when deployed.
"""

from __future__ import annotations

import email
import email.policy
import html
import json
import re
import urllib.request
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

SENT_PATH = "/_rebook/sent"


class MessagesUnavailable(Exception):
    """The mock AWS server could not be reached (not running, or not local)."""


def fetch_sent(endpoint: str, timeout: float = 5) -> dict:
    """{"emails": [...], "sms": [...]}, oldest first, emails parsed for reading:
    {"id", "to", "from", "subject", "text", "html", "attachments", "timestamp", "seq"}."""
    url = endpoint.rstrip("/") + SENT_PATH
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            raw = json.load(resp)
    except (OSError, ValueError) as exc:  # URLError, refused, timeout, bad JSON
        raise MessagesUnavailable(f"Cannot read sent messages from {url}: {exc}") from exc
    return {
        "emails": [parse_email(e) for e in raw.get("emails", [])],
        "sms": [parse_sms(s) for s in raw.get("sms", [])],
    }


def parse_sms(record: dict) -> dict:
    return {
        "id": record.get("id"),
        "to": record.get("phone"),
        "text": record.get("message", ""),
        "timestamp": record.get("timestamp"),
        "seq": record.get("seq", 0),
    }


def parse_email(record: dict) -> dict:
    """One /_rebook/sent email record (raw MIME, simple or templated send) -> readable dict."""
    out = {
        "id": record.get("id"),
        "to": list(record.get("destinations") or []),
        "from": record.get("source"),
        "subject": "",
        "text": "",
        "html": None,
        "attachments": [],
        "timestamp": record.get("timestamp"),
        "seq": record.get("seq", 0),
    }
    if "raw" in record:
        mime = parse_mime(record["raw"])
        # Prefer what the recipient sees (To/From headers) over the envelope, and the
        # server's send time over the Date header.
        out.update(mime, to=mime["to"] or out["to"], timestamp=out["timestamp"] or mime["timestamp"])
        out["from"] = mime["from"] or record.get("source")
    elif "template" in record:
        out["subject"] = f"(template {record['template']})"
        out["text"] = record.get("template_data") or ""
    else:
        # SendEmail keeps one body: the HTML one when both were given.
        body = record.get("body") or ""
        out["subject"] = record.get("subject") or ""
        if re.search(r"<(html|body|p|div|br|a|table)\b", body, re.I):
            out["html"], out["text"] = body, html_to_text(body)
        else:
            out["text"] = body
    return out


def parse_mime(raw: str) -> dict:
    # moto hands us the MIME decoded as UTF-8; parse the bytes again, because parsing a
    # str garbles 8bit (unencoded UTF-8) bodies.
    msg = email.message_from_bytes(raw.encode("utf-8", "surrogateescape"), policy=email.policy.default)
    text_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    html_body = html_part.get_content() if html_part is not None else None
    if text_part is not None:
        text = text_part.get_content()
    else:
        text = html_to_text(html_body) if html_body else ""
    attachments = [part.get_filename() or part.get_content_type() for part in msg.iter_attachments()]
    timestamp = None
    if msg["Date"]:
        try:
            timestamp = parsedate_to_datetime(str(msg["Date"])).isoformat()
        except (TypeError, ValueError):
            pass
    recipients = [
        addr for _, addr in getaddresses([str(v) for v in msg.get_all("To", []) + msg.get_all("Cc", [])]) if addr
    ]
    return {
        "to": recipients,
        "from": str(msg["From"] or ""),
        "subject": str(msg["Subject"] or ""),
        "text": text,
        "html": html_body,
        "attachments": attachments,
        "timestamp": timestamp,
    }


class _TextExtractor(HTMLParser):
    """Crude HTML -> text for HTML-only mails: keeps link targets visible."""

    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "table"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0  # inside <style>/<script>
        self._href: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag == "a":
            self._href = dict(attrs).get("href")

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip = max(0, self._skip - 1)
        elif tag == "a" and self._href:
            self.parts.append(f" ({self._href})")
            self._href = None
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _TextExtractor()
    parser.feed(markup)
    text = re.sub(r"[ \t]+", " ", "".join(parser.parts))
    return re.sub(r"\n\s*\n+", "\n\n", text).strip()


# --- HTML rendering ---------------------------------------------------------------------

_URL = re.compile(r"https?://[^\s<>\"']+", re.I)


def linkify(text: str) -> str:
    """Escape text for HTML and turn http(s) URLs into links. Escaping happens per piece,
    after splitting, so nothing in the text can inject markup or attributes."""
    out, pos = [], 0
    for match in _URL.finditer(text):
        url = match.group(0)
        # Sentence punctuation and an unmatched ")" after a URL belong to the text.
        trimmed = url.rstrip(".,;:!?")
        if trimmed.endswith(")") and trimmed.count("(") < trimmed.count(")"):
            trimmed = trimmed[:-1]
        end = match.start() + len(trimmed)
        out.append(html.escape(text[pos : match.start()]))
        href = html.escape(trimmed, quote=True)
        out.append(f'<a href="{href}" rel="noopener noreferrer">{href}</a>')
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


_CSS = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem} h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccc}
article{border:1px solid #ddd;border-radius:6px;padding:.75rem 1rem;margin:1rem 0;background:#fafafa}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;margin:0 0 .5rem}
dt{color:#666} dd{margin:0;word-break:break-all}
pre{white-space:pre-wrap;word-wrap:break-word;background:#fff;border:1px solid #eee;padding:.5rem;margin:0}
.empty,.note{color:#666} .error{color:#a00;font-weight:bold}
iframe.email{display:block;width:100%;max-width:600px;height:640px;border:1px solid #ddd;background:#fff;resize:both}
"""


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def _fields(pairs: list[tuple[str, str | None]]) -> str:
    rows = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in pairs if v)
    return f"<dl>{rows}</dl>"


def _email_body(m: dict) -> str:
    """The HTML email as the client sees it (in a sandboxed frame: no scripts, nothing
    of it reaches this page), the text part under it; only the text when there is no HTML."""
    text = f"<pre>{linkify(m.get('text') or '')}</pre>"
    if not m.get("html"):
        return text
    frame = (
        f'<iframe class="email" sandbox="allow-popups allow-popups-to-escape-sandbox" '
        f'title="{html.escape(m.get("subject") or "email", quote=True)}" '
        f'srcdoc="{html.escape(m["html"], quote=True)}"></iframe>'
    )
    return f"{frame}<details><summary>Text part</summary>{text}</details>"


def render_page(sent: dict, endpoint: str) -> str:
    """The /dev/messages page: emails and SMS, newest first."""
    emails = sorted(sent.get("emails", []), key=lambda m: m.get("seq", 0), reverse=True)
    sms = sorted(sent.get("sms", []), key=lambda m: m.get("seq", 0), reverse=True)
    parts = [
        f'<p class="note">Messages the local mock AWS server ({html.escape(endpoint)}) '
        f'has accepted, newest first. <a href="">Refresh</a> · '
        f'<a href="messages.json">JSON</a></p>',
        f"<h2>Emails ({len(emails)})</h2>",
    ]
    for m in emails:
        parts.append(
            "<article>"
            + _fields(
                [
                    ("Subject", m.get("subject") or "(no subject)"),
                    ("To", ", ".join(m.get("to") or [])),
                    ("From", m.get("from")),
                    ("Sent", m.get("timestamp")),
                    ("Attachments", ", ".join(m.get("attachments") or [])),
                ]
            )
            + _email_body(m)
            + "</article>"
        )
    if not emails:
        parts.append('<p class="empty">No emails yet.</p>')
    parts.append(f"<h2>SMS ({len(sms)})</h2>")
    for m in sms:
        parts.append(
            "<article>"
            + _fields([("To", m.get("to")), ("Sent", m.get("timestamp"))])
            + f"<pre>{linkify(m.get('text') or '')}</pre></article>"
        )
    if not sms:
        parts.append('<p class="empty">No SMS yet.</p>')
    return _page("Sent messages", "".join(parts))


def render_unavailable(reason: str) -> str:
    return _page(
        "Sent messages",
        f'<p class="error">The mock AWS server is not reachable.</p>'
        f"<p>{html.escape(reason)}</p>"
        f'<p class="note">Start the whole local stack with '
        f"<code>make run</code>.</p>",
    )
