import email
from email import policy
from email.header import decode_header, make_header

import pytest

from chalicelib.notify.ics import build_ics
from chalicelib.notify.mime import build_email
from chalicelib.notify.render import render

ICS_TYPE = "text/calendar; method=REQUEST; charset=UTF-8"


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=policy.default)


@pytest.fixture
def message(context):
    r = render("confirmation", "fi", context)
    raw = build_email(
        sender="Salon Äurora <bookings@rebook.local>",
        to="Maija Meikäläinen <maija@example.com>",
        subject=r.subject + " – äöå",
        text=r.text,
        html=r.html,
        attachments=[("booking.ics", ICS_TYPE, build_ics(context))],
    )
    return r, raw


def test_structure_is_mixed_with_alternative_and_calendar(message):
    _, raw = message
    msg = parse(raw)
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = msg.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html"]
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "booking.ics"
    assert attachment.get_param("method") == "REQUEST"
    assert attachment.get_param("charset").upper() == "UTF-8"
    assert attachment.get_content_disposition() == "attachment"


def test_bodies_round_trip_as_utf8(message):
    r, raw = message
    msg = parse(raw)
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert plain.get_content_charset() == "utf-8" and html.get_content_charset() == "utf-8"
    # On the wire every line ends in CRLF.
    assert plain.get_content().replace("\r\n", "\n").strip() == r.text.strip()
    assert html.get_content().replace("\r\n", "\n").strip() == r.html.strip()
    assert "ti 24.11. klo\u00a014.00" in plain.get_content()


def test_calendar_attachment_bytes_are_intact(context, message):
    _, raw = message
    attachment = parse(raw).get_payload()[1]
    assert b"UID:abc123@rebook" in attachment.get_payload(decode=True)


def test_raw_message_is_7bit_with_crlf_and_short_lines(message):
    _, raw = message
    assert raw.isascii()
    assert b"\r\n" in raw
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_non_ascii_subject_and_names_are_encoded_and_decode_back(message):
    r, raw = message
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"=?utf-8?" in head
    msg = parse(raw)
    assert msg["Subject"] == r.subject + " – äöå"
    assert msg["From"].addresses[0].display_name == "Salon Äurora"
    assert msg["From"].addresses[0].addr_spec == "bookings@rebook.local"
    assert msg["To"].addresses[0].display_name == "Maija Meikäläinen"
    assert msg["Date"] and msg["MIME-Version"] == "1.0"


def test_long_non_ascii_subject_and_sender_keep_their_spaces():
    subject = "Varaus vahvistettu: Naisten hiustenleikkaus ja föönaus, ti 24.11. klo 14.00 – äöå Åsa"
    sender = "Parturi-Kampaamo Hiusateljee Kaunotar Äijä ja Öljy Oy <bookings@rebook.local>"
    raw = build_email(sender=sender, to="b@example.com", subject=subject, text="t", html="h")
    msg = email.message_from_bytes(raw)  # the classic RFC 2047 decoder, as mail apps decode
    assert str(make_header(decode_header(msg["Subject"]))) == subject
    assert str(make_header(decode_header(msg["From"]))) == sender
    assert parse(raw)["Subject"] == subject
    assert all(len(line) <= 78 for line in raw.split(b"\r\n\r\n")[0].split(b"\r\n"))


@pytest.mark.parametrize(
    "kind, extra",
    [
        ("confirmation", {}),
        ("rescheduled", {}),
        ("reminder", {}),
        ("cancelled", {}),
        ("cancelled", {"by_salon": True}),
    ],
)
@pytest.mark.parametrize("locale", ["fi", "sv", "en"])
@pytest.mark.parametrize("service", ["Naisten hiustenleikkaus", "Naisten hiustenleikkaus ja föönaus", "Leikkaus"])
def test_a_subject_reads_back_as_rendered_with_no_space_before_or_after(make_context, kind, extra, locale, service):
    # The tester's salon cancellation read " Jouduimme perumaan varauksesi: …": a long ASCII
    # subject was folded right after "Subject:", and the reader kept the fold's space.
    subject = render(kind, locale, make_context(service={"name": service}, **extra)).subject
    raw = build_email(sender="Salon Aurora <b@rebook.local>", to="m@example.com", subject=subject, text="t", html="h")
    folded = email.message_from_bytes(raw)["Subject"].replace("\r\n", "")  # unfolded as RFC 5322 says
    for read in (parse(raw)["Subject"], str(make_header(decode_header(folded)))):
        assert read == subject and read == read.strip(), (read, subject)
    assert all(len(line) <= 78 for line in raw.split(b"\r\n\r\n")[0].split(b"\r\n"))


def test_international_domain_is_punycoded():
    raw = build_email(sender="a@rebook.local", to="maija@hiusmäki.fi", subject="s", text="t", html="<p>t</p>")
    assert parse(raw)["To"].addresses[0].domain == "hiusmäki.fi".encode("idna").decode() == "xn--hiusmki-9wa.fi"


def test_address_that_cannot_be_sent_is_refused():
    with pytest.raises(ValueError):
        build_email(sender="a@rebook.local", to="not an address", subject="s", text="t", html="h")


def test_a_reply_address_is_a_header_of_its_own_and_cannot_smuggle_another():
    raw = build_email(
        sender="a@rebook.local", to="b@example.com", subject="s", text="t", html="h", reply_to="o@hiusmäki.fi"
    )
    assert parse(raw)["Reply-To"].addresses[0].domain == "xn--hiusmki-9wa.fi"
    assert "Reply-To" not in parse(
        build_email(sender="a@rebook.local", to="b@example.com", subject="s", text="t", html="h")
    )
    with pytest.raises(ValueError):
        build_email(
            sender="a@rebook.local", to="b@example.com", subject="s", text="t", html="h", reply_to="o@x.fi\nBcc: c@x.fi"
        )


def test_extra_headers_are_added_verbatim():
    headers = {
        "List-Unsubscribe": "<https://rebook.example/u/tok>, <mailto:u@rebook.example>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    raw = build_email(
        sender="a@rebook.local", to="b@example.com", subject="s", text="t", html="<p>t</p>", headers=headers
    )
    msg = parse(raw)
    assert msg["List-Unsubscribe"] == headers["List-Unsubscribe"]
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw


def test_header_injection_is_refused():
    with pytest.raises(ValueError):
        build_email(
            sender="a@rebook.local",
            to="b@example.com",
            subject="s",
            text="t",
            html="h",
            headers={"X-Test": "a\r\nBcc: evil@example.com"},
        )


def test_without_attachments_it_is_just_the_alternatives():
    msg = parse(build_email(sender="a@rebook.local", to="b@example.com", subject="s", text="t", html="<p>t</p>"))
    assert msg.get_content_type() == "multipart/alternative"


def test_attachment_type_without_charset_gets_utf8(context):
    raw = build_email(
        sender="a@rebook.local",
        to="b@example.com",
        subject="s",
        text="t",
        html="h",
        attachments=[("booking.ics", "text/calendar; method=CANCEL", build_ics(context))],
    )
    part = parse(raw).get_payload()[1]
    assert part.get_param("method") == "CANCEL" and part.get_param("charset").upper() == "UTF-8"


@pytest.mark.parametrize(
    "sender, name",
    [
        ("Salon, Aurora <bookings@rebook.local>", "Salon, Aurora"),
        ('Kampaamo "Kiehkura" <bookings@rebook.local>', 'Kampaamo "Kiehkura"'),
        ('"Kampaamo \\"Kiehkura\\"" <bookings@rebook.local>', 'Kampaamo "Kiehkura"'),
        ("Äijä & Co. <bookings@rebook.local>", "Äijä & Co."),
        ("Studio; Ö <bookings@rebook.local>", "Studio; Ö"),
        ("bookings@rebook.local", ""),
    ],
)
def test_sender_display_names_with_punctuation_survive(sender, name):
    raw = build_email(sender=sender, to="b@example.com", subject="s", text="t", html="h")
    address = parse(raw)["From"].addresses[0]
    assert address.addr_spec == "bookings@rebook.local"
    assert address.display_name == name


def test_a_long_list_unsubscribe_url_stays_a_url():
    """RFC 8058: mail clients read the header as a URL; folded into an encoded word it is not one."""
    url = "https://varaa.rebook.fi/u/u.8ekfbjtb.3uk80eg2fzzq.u1ntac.MvLfeY16KB6R6dMVjMaKZg-and-some-more"
    raw = build_email(
        sender="a@rebook.local",
        to="b@example.com",
        subject="s",
        text="t",
        html="h",
        headers={"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    assert f"\r\nList-Unsubscribe: <{url}>\r\n".encode() in raw
    msg = email.message_from_bytes(raw)
    assert msg["List-Unsubscribe"] == f"<{url}>" and msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    parts = msg.get_payload()
    assert isinstance(parts, list) and isinstance(parts[0], email.message.Message)
    assert str(parts[0].get_payload()).strip() == "t"
