"""Feedback after the visit, through the scheduled job and the pages: asked once, at a
daytime hour, never for cancelled or missed visits; GET records nothing; the last
submission wins; a low score alerts the owner once; tokens cannot be abused."""

from __future__ import annotations

import quopri
import re

import pytest

from tests.admin.helpers import Desk
from tests.api.helpers import book, follow, open_link, post, token_of
from tests.conftest import drain_outbox, sent_emails, sent_sms
from tests.history import at, business, run_on_schedule

VISIT = "2026-11-25T12:00:00+02:00"  # 60 min: ends 13:00, asked at 15:00 Helsinki
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def run(when):
    """A run of the sweeper, which has also run every minute before (tests.history)."""
    return run_on_schedule("send_due", when)


def feedback_emails():
    return [m for m in sent_emails() if "/f/" in m.raw_data and "maija@example.com" in str(m.destinations)]


def owner_alerts(aws):
    return [m for m in sent_emails() if aws.config.owner_email in str(m.destinations)]


def feedback_link(appointment_id):
    """The link the planned feedback request carries (read from the outbox)."""
    from chalicelib.store.models import MessageItem

    b = business()
    [item] = MessageItem.query(f"BIZ#{b.id}", MessageItem.sk.startswith(f"MSG#{appointment_id}#feedback#"))
    return item.context["feedback_url"]


def path_of(url):
    return url.split("example.test", 1)[1]


def page(client, url):
    r = open_link(client, path_of(url))
    return r.status_code, r.body.decode()


def submit(client, url, **form):
    from urllib.parse import urlencode

    r = client.http.post(path_of(url).split("?")[0], body=urlencode(form), headers=FORM)
    if r.status_code == 303:  # saved: on to the visit's own page, as a browser goes (redirect after POST)
        assert "sent=1" in r.headers["Location"] and url.split("/f/")[1].split("?")[0] not in r.headers["Location"]
        r = follow(client, r.headers)
    return r.status_code, r.body.decode()


@pytest.fixture
def visit(client, aws):
    status, body = book(client, VISIT)
    assert status == 201
    desk = Desk(client, aws.id)
    appt = desk.get("/calendar?date=2026-11-25")[1]["staff"][0]["appointments"][0]
    return {"id": appt["id"], "client": appt["client"]["id"], "token": token_of(body["manage_url"]), "desk": desk}


def test_the_request_goes_out_two_hours_after_the_visit_once(client, visit, frozen_now):
    run("2026-11-25T10:01:00+02:00")  # reminders of the day
    assert run("2026-11-25T14:59:00+02:00").sent == 0
    s = run("2026-11-25T15:00:30+02:00")
    assert s.sent == 1 and len(feedback_emails()) == 1
    raw = quopri.decodestring(feedback_emails()[0].raw_data.encode()).decode("utf-8", "replace")
    assert len(set(re.findall(r"/f/[\w.\-]+\?r=[1-5]", raw))) == 5  # five one-click stars
    assert run("2026-11-25T15:10:00+02:00").sent == 0 and run("2026-11-26T15:00:00+02:00").sent == 0
    assert len(feedback_emails()) == 1


def test_get_records_nothing_and_post_records_last_one_wins(client, aws, visit, frozen_now):
    from chalicelib.store import feedback

    frozen_now["now"] = at("2026-11-25T15:05:00+02:00")
    url = feedback_link(visit["id"])
    status, html = page(client, url + "?r=4")
    assert status == 200 and re.search(r'value="4"\s+checked', html)
    for n in range(1, 6):  # a link scanner opens every star
        assert page(client, f"{url}?r={n}")[0] == 200
    assert feedback.get(aws.id, visit["id"]) is None
    assert visit["desk"].get(f"/clients/{visit['client']}/stats")[1]["ratings"] == 0

    status, html = submit(client, url, rating="5", comment="Lovely cut", lang="en")
    assert status == 200 and "Thank you" in html
    assert aws.config.review_link in html  # offered to every rater
    assert "/book/demo?service=womens-cut&amp;staff=aino" in html
    status, html = submit(client, url, rating="4", lang="en")  # changed her mind
    assert status == 200
    stats = visit["desk"].get(f"/clients/{visit['client']}/stats")[1]
    assert (stats["average_rating"], stats["ratings"]) == (4.0, 1)
    report = visit["desk"].get("/feedback?from=2026-11-01&to=2026-11-30")[1]
    assert (report["count"], report["average"]) == (1, 4.0)
    assert report["months"] == [
        {"month": "2026-11", "count": 1, "average": 4.0, "low": 0, "stars": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}}
    ]
    # The page shows her current rating when opened again.
    assert re.search(r'value="4"\s+checked', page(client, url)[1])


def test_review_link_is_offered_even_for_a_low_score(client, aws, visit, frozen_now):
    frozen_now["now"] = at("2026-11-25T15:05:00+02:00")
    status, html = submit(client, feedback_link(visit["id"]), rating="1", lang="fi")
    assert status == 200 and aws.config.review_link in html
    # She reads that the salon was told (the owner's alert), and can read it in her language.
    assert f"Pahoittelemme, ettei käynti sujunut toivotusti. {aws.config.name} on saanut palautteesi." in html
    [en] = re.findall(r'<a href="([^"]*)"[^>]*>EN</a>', html)
    assert "sent=1" in en and "lang=en" in en, en
    # The visit's own address reads its token from the cookie the rating's redirect set.
    url = feedback_link(visit["id"])
    sent = client.http.post(path_of(url).split("?")[0], body="rating=1&lang=fi", headers=FORM)
    cookie = {"Cookie": sent.headers["Set-Cookie"].split(";")[0]}
    thanks = client.http.get(en.replace("&amp;", "&"), headers=cookie).body.decode()
    assert "Thank you" in thanks and f"{aws.config.name} has received your feedback." in thanks
    # A good score is not "passed on": no alert went.
    status, html = submit(client, feedback_link(visit["id"]), rating="5", lang="fi")
    assert status == 200 and "Pahoittelemme" not in html


def test_low_score_alerts_the_owner_once(client, aws, visit, frozen_now):
    frozen_now["now"] = at("2026-11-25T15:05:00+02:00")
    url = feedback_link(visit["id"])
    submit(client, url, rating="2", comment="Waited half an hour")
    alerts = owner_alerts(aws)
    assert len(alerts) == 1
    body = alerts[0].raw_data
    assert "2/5" in body and "+358401234567" in body and "maija@example.com" in body
    submit(client, url, rating="1", comment="Still annoyed")
    submit(client, url, rating="5")
    submit(client, url, rating="3")
    assert len(owner_alerts(aws)) == 1  # once per visit
    report = visit["desk"].get("/feedback")[1]
    assert report["low"] == 1 and report["months"][0]["low"] == 1 and report["months"][0]["count"] == 1


def test_the_owners_alert_names_the_service_in_her_own_language_not_the_clients(client, aws, frozen_now):
    from tests.api.helpers import booking_body

    body = booking_body(VISIT, name="Emma Smith", phone="040 222 3344", email="emma@example.com")
    body["client"]["locale"] = "en"
    status, booked = post(client, "/api/v1/businesses/demo/bookings", body)
    assert status == 201, booked
    drain_outbox()  # its plan made into messages, the feedback request among them
    frozen_now["now"] = at("2026-11-25T15:05:00+02:00")
    status, html = submit(client, feedback_link(booked["id"]), rating="1", comment="Too short")
    assert status == 200, html
    [alert] = owner_alerts(aws)
    text = quopri.decodestring(alert.raw_data.encode()).decode("utf-8", "replace")
    assert "Naisten hiustenleikkaus" in text and "Women's haircut" not in text  # the salon writes in Finnish


def test_an_owner_who_reads_swedish_gets_the_alert_in_swedish_from_her_finnish_salon(client, aws, visit, frozen_now):
    """The salon speaks Finnish to its clients; she set her alerts' language to Swedish in
    the Salon settings (a walk: the alert came in the salon's language, not hers)."""
    salon = visit["desk"].get("/settings")[1]["sections"]["salon"]
    assert salon["owner_locale"] is None  # unset: the salon's own language
    status, saved = visit["desk"].put("/settings/salon", {**salon, "owner_locale": "sv"})
    assert status == 200 and saved["changed"] == ["salon.owner_locale"], saved
    frozen_now["now"] = at("2026-11-25T15:05:00+02:00")
    submit(client, feedback_link(visit["id"]), rating="2", comment="Odotin puoli tuntia")
    [alert] = owner_alerts(aws)
    text = quopri.decodestring(alert.raw_data.encode()).decode("utf-8", "replace")
    assert "En kund gav ett lågt betyg" in text and "Besök: Damklippning" in text, text
    assert "Naisten hiustenleikkaus" not in text
    # Her clients' messages stay the salon's: the feedback request went in Finnish.
    assert "Naisten hiustenleikkaus" in quopri.decodestring(feedback_emails()[0].raw_data.encode()).decode()
    status, body = visit["desk"].put("/settings/salon", {**salon, "owner_locale": "de"})
    assert status == 422 and set(body["error"]["fields"]) == {"owner_locale"}, body


def test_two_low_ratings_at_once_are_both_saved_and_alert_once(client, aws, visit, frozen_now, monkeypatch):
    """A double tap on a low star (or two windows): the second request read the visit
    unrated before the first saved its rating and the owner's alert. It is saved over
    the first, not lost to an error page."""
    from chalicelib.store import feedback as store

    frozen_now["now"] = at("2026-11-25T15:05:00+02:00")
    url = feedback_link(visit["id"])
    assert submit(client, url, rating="1", comment="race")[0] == 200
    read, record = store.get, store.record
    reads = iter(["stale"])  # what the second request read first: nothing yet

    monkeypatch.setattr(store, "get", lambda *a: None if next(reads, "") == "stale" else read(*a))

    def as_dynamodb_says(*args):
        # DynamoDB names every failed condition (its rating and its alert, both there);
        # moto only the first: AlertExists, as the real one answers.
        try:
            return record(*args)
        except store.FeedbackChanged:
            if args[8] is not None:
                raise store.AlertExists() from None
            raise

    monkeypatch.setattr(store, "record", as_dynamodb_says)
    status, html = submit(client, url, rating="2", comment="race", lang="en")
    assert status == 200, html
    monkeypatch.setattr(store, "get", read)
    report = visit["desk"].get("/feedback")[1]
    assert (report["count"], report["average"], report["low"]) == (1, 2.0, 1)  # the later one, counted once
    assert len(owner_alerts(aws)) == 1


def test_a_good_score_alerts_nobody(client, aws, visit, frozen_now):
    frozen_now["now"] = at("2026-11-25T15:05:00+02:00")
    submit(client, feedback_link(visit["id"]), rating="4")
    assert owner_alerts(aws) == []


def test_cancelled_and_no_show_visits_get_no_request(client, aws, visit, frozen_now):
    post(client, f"/api/v1/bookings/{visit['token']}/cancel")
    assert (
        book(
            client,
            "2026-11-25T14:00:00+02:00",
            staff="mikko",
            service="mens-cut",
            name="Kalle Kävijä",
            phone="040 765 4321",
            email="kalle@example.com",
        )[0]
        == 201
    )
    desk = visit["desk"]
    kalle = [a for a in desk.get("/calendar?date=2026-11-25")[1]["staff"][1]["appointments"]][0]
    frozen_now["now"] = at("2026-11-25T14:40:00+02:00")
    assert desk.post(f"/appointments/{kalle['id']}/status", {"status": "no_show"})[0] == 200
    before = len(sent_emails()) + len(sent_sms())
    s = run("2026-11-25T18:00:00+02:00")
    assert s.sent == 0 and s.reasons.get("appointment_changed") == 2
    assert len(sent_emails()) + len(sent_sms()) == before
    # Their pages refuse a rating too.
    frozen_now["now"] = at("2026-11-25T18:00:00+02:00")
    status, _ = submit(client, feedback_link(visit["id"]), rating="5")
    assert status == 409


def test_two_visits_in_a_day_get_one_request(client, aws, visit, frozen_now):
    # Maija books a blow-dry later the same day with Sanna.
    assert book(client, "2026-11-25T16:00:00+02:00", staff="sanna", service="blowdry")[0] == 201
    run("2026-11-25T15:00:30+02:00")
    s2 = run("2026-11-25T19:00:00+02:00")
    assert len(feedback_emails()) == 1
    assert s2.reasons.get("recently_asked") == 1


def test_sms_when_there_is_no_email(client, aws, frozen_now):
    assert book(client, VISIT, email=None)[0] == 201
    before = len(sent_sms())
    run("2026-11-25T15:00:30+02:00")
    texts = [t for _, t in sent_sms()[before:]]
    assert len(texts) == 1 and "/f/" in texts[0] and "?r=" not in texts[0]


def test_request_moves_into_daytime_hours(client, aws, frozen_now):
    # A visit ending at 19:30 would be asked at 21:30: it waits for 09:00 the next morning.
    assert book(client, "2026-11-25T18:30:00+02:00", staff="aino")[0] == 201  # Wed, open until 20
    assert run("2026-11-25T21:30:00+02:00").sent == 0
    assert run("2026-11-26T08:59:00+02:00").sent == 0
    assert run("2026-11-26T09:00:30+02:00").sent == 1 and len(feedback_emails()) == 1


def test_token_abuse_gets_a_clear_4xx_page(client, aws, visit, frozen_now):
    from chalicelib import links

    frozen_now["now"] = at("2026-11-25T15:05:00+02:00")
    url = feedback_link(visit["id"])
    token = url.rsplit("/", 1)[1]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert submit(client, url.replace(token, forged), rating="5")[0] == 404
    assert page(client, url.replace(token, forged))[0] == 404
    # The manage link's token is for another purpose.
    assert page(client, url.replace(token, visit["token"]))[0] == 404
    # A token signed for another business does not open this business's visit.
    other = links.feedback_token("otherbiz", visit["id"], at("2026-11-25T13:00:00+02:00"))
    assert page(client, url.replace(token, other))[0] == 404
    # Thirty days after the visit the link has expired.
    frozen_now["now"] = at("2026-12-26T12:00:00+02:00")
    status, html = page(client, url)
    assert status == 410
    from chalicelib.store import feedback

    assert feedback.get(aws.id, visit["id"]) is None


def test_bad_rating_is_a_4xx_and_records_nothing(client, aws, visit, frozen_now):
    from chalicelib.store import feedback

    frozen_now["now"] = at("2026-11-25T15:05:00+02:00")
    url = feedback_link(visit["id"])
    for bad in ({}, {"rating": "6"}, {"rating": "0"}, {"rating": "x"}, {"rating": "5", "comment": "x" * 2001}):
        assert submit(client, url, **bad)[0] == 422
    # Digits that are not ASCII or a whole number's text were read as stars (H2): the page
    # again, in her language, saying what to do.
    for text in ("٤", "４", "4.0", "4e0"):
        status, html = submit(client, url, rating=text, lang="en")
        assert status == 422 and "Choose 1 to 5 stars." in html and 'role="alert"' in html, (text, status)
    assert feedback.get(aws.id, visit["id"]) is None


def test_a_rating_is_a_whole_json_number_as_sent():
    """`true`, "4" or 4.0 is no rating of 4 (as money inputs: StrictInt); the page converts
    its form's text itself (test_bad_rating_is_a_4xx_and_records_nothing)."""
    from pydantic import ValidationError

    from chalicelib.domain.feedback import RatingIn
    from chalicelib.services.validation import fields_from

    assert RatingIn.model_validate({"rating": 4}).rating == 4
    for sent in (True, "4", 4.0):
        with pytest.raises(ValidationError) as e:
            RatingIn.model_validate({"rating": sent})
        assert set(fields_from(e.value)) == {"rating"}, sent


@pytest.mark.parametrize(
    "lang,words", [("sv", "Hur lyckades vi?"), ("en", "How did we do?"), ("fi", "Miten onnistuimme?")]
)
def test_the_page_speaks_the_clients_language_and_needs_nothing_from_elsewhere(client, visit, frozen_now, lang, words):
    frozen_now["now"] = at("2026-11-25T15:05:00+02:00")
    r = open_link(client, path_of(feedback_link(visit["id"])) + "?r=5", {"Accept-Language": f"{lang},en;q=0.5"})
    html = r.body.decode()
    assert r.status_code == 200 and words in html
    # Only the pages' own small script, from the same origin; nothing from elsewhere.
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/page.js" defer>']
    assert not re.search(r'(src|href)="https?://(?!book\.example\.test)', html)
    assert 'name="viewport"' in html  # phone-first


@pytest.mark.parametrize(
    ("comment", "kept", "says"),
    [
        ("Ihana\u0000 leikkaus\u202e", "Ihana leikkaus", "poistettiin merkkejä"),
        ("Ihana\r\nleikkaus" + "!" * 2000, None, "liian pitkä"),
    ],
)
def test_a_comment_that_cannot_be_kept_is_said_so_and_her_stars_and_words_stay(
    client, aws, visit, frozen_now, comment, kept, says
):
    """A comment with a NUL or a turning character (pasted from somewhere) is a 422 page
    saying what is wrong with the comment — not "choose 1 to 5 stars" — with her stars
    still chosen and her words in the box, the characters that cannot be kept taken out;
    nothing recorded until she sends it again."""
    from chalicelib.store import feedback

    frozen_now["now"] = at("2026-11-25T15:05:00+02:00")
    url = feedback_link(visit["id"])
    status, html = submit(client, url, rating="4", comment=comment, lang="fi")
    assert status == 422 and says in html and 'role="alert"' in html, html
    assert 'value="4" checked' in html
    if kept:
        assert f">{kept}</textarea>" in html
    assert feedback.get(aws.id, visit["id"]) is None
    status, html = submit(client, url, rating="4", comment=kept or "Hyvä", lang="fi")
    rated = feedback.get(aws.id, visit["id"])
    assert status == 200 and rated is not None and rated.rating == 4


def test_the_page_names_the_salon_and_another_language_keeps_her_stars_and_words(client, aws, visit, frozen_now):
    """A client's walk (6 Dec, evening): the feedback page had no salon name and no FI/SV/EN
    switch. It names the salon; its languages are buttons of her form, so the page comes
    back in the language chosen with her stars and words — nothing recorded until she sends."""
    from chalicelib.store import feedback

    frozen_now["now"] = at("2026-11-25T15:05:00+02:00")
    url = feedback_link(visit["id"])
    status, html = page(client, url)
    assert status == 200 and '<p class="muted" id="salon">Salon Aurora</p>' in html
    assert 'form="feedback-form"' in html and 'name="relang" value="sv"' in html
    status, html = submit(client, url, rating="4", comment="Ihana\nleikkaus", lang="fi", relang="sv")
    assert status == 200 and '<html lang="sv"' in html and 'value="4" checked' in html, html
    assert ">Ihana\nleikkaus</textarea>" in html and "Salon Aurora" in html
    assert feedback.get(aws.id, visit["id"]) is None
    # Her service is named in the page's language, not only in the one she booked in.
    assert "Damklippning" in html and "Naisten hiustenleikkaus" not in html
    status, html = page(client, url + "?lang=en")
    assert status == 200 and "Women&#39;s haircut" in html and "Naisten" not in html
