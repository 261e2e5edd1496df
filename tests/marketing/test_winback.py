"""Win-back: a lapsed regular with marketing consent gets "we miss you" at her
business's local morning, naming her last service with a one-tap rebook link; at most
two messages 21 days apart; the sequence stops when she books; marketing is capped;
consent, unsubscribe and maintenance are respected; unsubscribe is a POST (RFC 8058)."""

from __future__ import annotations

import quopri
from datetime import date

import pytest

from tests.admin.helpers import Desk
from tests.api.helpers import book, follow
from tests.conftest import sent_emails, sent_sms
from tests.history import at, business, past_visits, run_job

VISITS = ("2026-12-16T12:00:00+02:00", "2027-01-09T12:00:00+02:00", "2027-02-02T12:00:00+02:00")
# Every 24 days, last on 2 Feb: the demo salon's return model (its prior: no fit yet) has
# her lapse on 28 Feb at 06:30, so she is lapsed from 1 Mar 2027, the first whole day
# (docs/retention.md).
LAPSE_MORNING = "2027-03-01T10:05:00+02:00"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def regular(frozen_now, marketing=True, **kw):
    """Maija's three visits, her rhythm and lapse day as visits_ended left them; the
    clock just after the last one."""
    return past_visits(VISITS, marketing=marketing, clock=frozen_now, **kw)


def winbacks(email="maija@example.com"):
    return [
        m for m in sent_emails() if email in str(m.destinations) and "/book/demo?" in m.raw_data and "/u/" in m.raw_data
    ]


def decoded(m):
    return quopri.decodestring(m.raw_data.encode()).decode("utf-8", "replace")


@pytest.fixture
def maija(client, aws, frozen_now):
    regular(frozen_now)
    return Desk(client, aws.id)


def test_we_miss_you_at_local_morning_naming_the_last_service(client, maija, frozen_now):
    assert run_job("marketing", "2027-02-28T10:05:00+02:00")["winback_sent"] == 0  # not lapsed yet
    assert run_job("marketing", "2027-03-01T09:55:00+02:00")["winback_sent"] == 0  # 10:00 in Helsinki
    assert run_job("marketing", LAPSE_MORNING)["winback_sent"] == 1
    [m] = winbacks()
    text = decoded(m)
    assert "Naisten hiustenleikkaus" in text and "/book/demo?service=womens-cut&staff=aino" in text
    assert "List-Unsubscribe: <https://book.example.test/u/" in m.raw_data
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in m.raw_data
    assert run_job("marketing", "2027-03-01T11:05:00+02:00")["winback_sent"] == 0  # hourly runs: once
    # The at-risk list says when the cap lets the owner's own words go to her.
    frozen_now["now"] = at("2027-03-01T11:10:00+02:00")
    _, lapsed = maija.get("/retention?status=lapsed")
    [listed] = [c["client"] for c in lapsed["clients"]]
    assert listed["marketing"]["granted"] is True
    assert listed["marketing"]["next_at"].startswith("2027-03-15T10:0"), listed  # the demo salon's 14 days


def test_an_imported_visit_links_to_her_service_with_anyone_not_an_unknown_stylist(client, aws, frozen_now):
    """An imported visit's stylist is unknown (`import`): a link naming it opened the booking
    page on an error; her service is named, the stylist left open."""
    regular(frozen_now, staff="import")
    assert run_job("marketing", LAPSE_MORNING)["winback_sent"] == 1
    [m] = winbacks()
    text = decoded(m)
    assert "/book/demo?service=womens-cut&lang=fi&again=" in text and "staff=" not in text


def test_after_a_visit_she_rated_low_we_miss_you_leaves_the_stylist_to_her(client, aws, frozen_now):
    """A client's walk: she gave her last visit 2/5 (the owner was alerted), and "we miss
    you" named that stylist as chosen for her, its link too. Her service is named, the
    stylist left to her; the link opens in her language, whatever her phone's is."""
    from chalicelib import links
    from chalicelib.services import feedback

    last = regular(frozen_now).appointments[-1]
    feedback.submit(links.feedback_token(aws.id, last.id, last.end), {"rating": 2, "comment": "Odotin liian kauan."})
    assert run_job("marketing", LAPSE_MORNING)["winback_sent"] == 1
    [m] = winbacks()
    text = decoded(m)
    assert "Naisten hiustenleikkaus on valmiiksi valittuna" in text and "Aino" not in text, text
    assert "/book/demo?service=womens-cut&lang=fi&again=" in text and "staff=" not in text


def test_at_most_two_messages_21_days_apart(client, maija, frozen_now):
    run_job("marketing", LAPSE_MORNING)
    assert run_job("marketing", "2027-03-21T10:05:00+02:00")["winback_sent"] == 0  # day 20
    assert run_job("marketing", "2027-03-22T10:05:00+02:00")["winback_sent"] == 1  # day 21
    for day in range(23, 31):
        run_job("marketing", f"2027-04-{day - 19:02d}T10:05:00+03:00")
    assert run_job("marketing", "2027-04-12T10:05:00+03:00")["winback_sent"] == 0  # never a third
    assert len(winbacks()) == 2


def test_the_sequence_stops_when_she_books(client, maija, frozen_now):
    run_job("marketing", LAPSE_MORNING)
    frozen_now["now"] = at("2027-03-02T09:00:00+02:00")
    assert book(client, "2027-03-25T12:00:00+02:00")[0] == 201
    summary = run_job("marketing", "2027-03-22T10:05:00+02:00")
    assert summary["winback_sent"] == 0 and summary["winback_stopped"] == 1
    assert len(winbacks()) == 1


def test_no_consent_no_winback(client, aws, frozen_now):
    regular(frozen_now, marketing=False)
    assert run_job("marketing", LAPSE_MORNING)["winback_sent"] == 0
    assert winbacks() == []


def test_maintenance_stops_winback(client, maija, frozen_now):
    cid = maija.get("/clients")[1]["clients"][0]["id"]
    assert maija.patch(f"/clients/{cid}", {"relationship": "maintenance"})[0] == 200
    assert run_job("marketing", LAPSE_MORNING)["winback_sent"] == 0


def test_marketing_is_capped_a_birthday_greeting_postpones_the_winback(client, maija, frozen_now):
    cid = maija.get("/clients")[1]["clients"][0]["id"]
    assert maija.patch(f"/clients/{cid}", {"birthday": "1990-02-24"})[0] == 200
    assert run_job("marketing", "2027-02-24T10:05:00+02:00")["birthday_sent"] == 1
    # Lapsed on 1 Mar, but the greeting was 5 days ago: at most one marketing message per 14 days.
    assert run_job("marketing", LAPSE_MORNING)["winback_sent"] == 0
    for day in range(2, 10):
        run_job("marketing", f"2027-03-{day:02d}T10:05:00+02:00")
    assert len(winbacks()) == 0
    assert run_job("marketing", "2027-03-10T10:05:00+02:00")["winback_sent"] == 0  # 14 days to the minute: not yet
    assert run_job("marketing", "2027-03-10T11:05:00+02:00")["winback_sent"] == 1  # the next hourly run


def test_unsubscribe_page_get_changes_nothing_post_unsubscribes(client, maija, frozen_now):
    import re

    run_job("marketing", LAPSE_MORNING)
    found = re.search(r"https://book\.example\.test(/u/[\w.\-]+)", decoded(winbacks()[0]))
    assert found, "no unsubscribe link in the win-back"
    link = found.group(1)
    cid = maija.get("/clients")[1]["clients"][0]["id"]
    # The page is served at the link's own address, its token in a cookie.
    opened = client.http.get(link + "?lang=en")
    address = "/u/" + ".".join(link.rsplit("/", 1)[1].split(".")[:3])
    assert opened.status_code == 303 and opened.headers["Location"] == f"{address}?lang=en"
    r = follow(client, opened.headers)
    assert r.status_code == 200 and b"Unsubscribe" in r.body and f'action="{link}"'.encode() in r.body
    # In her other languages at the same address (its token stays in the cookie).
    switch = re.findall(r'<nav class="lang"[^>]*>(.*?)</nav>', r.body.decode(), re.S)
    assert switch and f'{address}?lang=fi"' in switch[0], switch
    assert client.http.get(address).status_code == 403  # another device
    assert maija.get(f"/clients/{cid}/consents")[1]["marketing"]["granted"] is True
    r = client.http.post(link, body="lang=en", headers=FORM)  # the button: back to the page, done
    assert r.status_code == 303 and r.headers["Location"] == f"{address}?lang=en"
    r = follow(client, r.headers)
    assert r.status_code == 200 and b"any more" in r.body
    consents = maija.get(f"/clients/{cid}/consents")[1]
    assert consents["marketing"]["granted"] is False and consents["log"][-1]["source"] == "unsubscribe_page"
    client.http.post(link, body="lang=en", headers=FORM)  # a second click changes nothing
    assert len(maija.get(f"/clients/{cid}/consents")[1]["log"]) == len(consents["log"])
    assert run_job("marketing", "2027-03-22T10:05:00+02:00")["winback_sent"] == 0


def test_she_changes_her_mind_on_the_unsubscribe_page_and_gets_offers_again(client, maija, frozen_now):
    import re

    run_job("marketing", LAPSE_MORNING)
    found = re.search(r"https://book\.example\.test(/u/[\w.\-]+)", decoded(winbacks()[0]))
    assert found, "no unsubscribe link in the win-back"
    link = found.group(1)
    address = "/u/" + ".".join(link.rsplit("/", 1)[1].split(".")[:3])
    cid = maija.get("/clients")[1]["clients"][0]["id"]
    r = client.http.post(link, body="lang=fi", headers=FORM)
    page = follow(client, r.headers).body.decode()
    assert "Haluan taas tarjouksia" in page and 'name="subscribe" value="again"' in page
    # Not from another site's page, whatever link it got hold of: to her page, nothing granted.
    for elsewhere in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
        r = client.http.post(link, body="lang=fi&subscribe=again", headers={**FORM, **elsewhere})
        assert r.status_code == 303 and r.headers["Location"] == f"{address}?lang=fi", elsewhere
        assert maija.get(f"/clients/{cid}/consents")[1]["marketing"]["granted"] is False
    r = client.http.post(link, body="lang=fi&subscribe=again", headers={**FORM, "Sec-Fetch-Site": "same-origin"})
    assert r.status_code == 303 and r.headers["Location"] == f"{address}?lang=fi&again=1"
    page = follow(client, r.headers).body.decode()
    assert "Saat taas tarjouksia" in page and "Peru markkinointiviestit" in page, page  # and may leave again
    log = maija.get(f"/clients/{cid}/consents")[1]["log"]
    assert [(e["granted"], e["source"]) for e in log[-2:]] == [(False, "unsubscribe_page"), (True, "resubscribe_page")]
    client.http.post(link, body="lang=fi&subscribe=again", headers=FORM)  # twice: one consent
    assert len(maija.get(f"/clients/{cid}/consents")[1]["log"]) == len(log)
    # Sent as multipart (a program's way): read as such, not taken for an unsubscribe.
    multipart = (
        b'--b\r\nContent-Disposition: form-data; name="subscribe"\r\n\r\nagain\r\n'
        b'--b\r\nContent-Disposition: form-data; name="lang"\r\n\r\nsv\r\n--b--\r\n'
    )
    r = client.http.post(link, body=multipart, headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert r.status_code == 303 and r.headers["Location"] == f"{address}?lang=sv&again=1"
    assert maija.get(f"/clients/{cid}/consents")[1]["marketing"]["granted"] is True


def test_one_click_unsubscribe_from_the_mail_client(client, maija, frozen_now):
    import re

    run_job("marketing", LAPSE_MORNING)
    found = re.search(r"List-Unsubscribe: <https://book\.example\.test(/u/[\w.\-]+)>", winbacks()[0].raw_data)
    assert found, "no List-Unsubscribe header"
    link = found.group(1)
    r = client.http.post(link, body="List-Unsubscribe=One-Click", headers=FORM)
    assert r.status_code == 200
    cid = maija.get("/clients")[1]["clients"][0]["id"]
    log = maija.get(f"/clients/{cid}/consents")[1]["log"]
    assert (log[-1]["granted"], log[-1]["source"]) == (False, "one_click")


def test_bad_unsubscribe_links_are_4xx_pages(client, maija, frozen_now):
    assert client.http.get("/u/nonsense").status_code == 404
    assert client.http.post("/u/nonsense", body="", headers=FORM).status_code == 404


def test_sms_when_there_is_no_email(client, aws, frozen_now):
    regular(frozen_now, email=None)
    before = len(sent_sms())
    assert run_job("marketing", LAPSE_MORNING)["winback_sent"] == 1
    [(_, text)] = sent_sms()[before:]
    assert "/book/demo?" in text and "/u/" in text


def lapse_key(client_id):
    """Where the win-back index has her (the day of her next step), if anywhere."""
    from tests.api.helpers import table_items

    [item] = [i for i in table_items() if i["sk"]["S"] == f"CLIENT#{client_id}"]
    return item.get("g4pk", {}).get("S")


def test_a_regular_with_no_contact_is_passed_over_without_an_error(client, aws, frozen_now):
    """Booked at the desk by her name alone, three times, with a yes to marketing: she
    lapses like anyone, but neither a win-back nor a birthday greeting has anywhere to go.
    The job passes her over, and does not try her again the next morning."""
    regular(frozen_now, phone=None, email=None, name="Liisa")
    desk = Desk(client, aws.id)
    [liisa] = desk.get("/clients")[1]["clients"]
    assert (liisa["phone"], liisa["email"]) == (None, None)
    assert desk.patch(f"/clients/{liisa['id']}", {"birthday": "1990-03-01"})[0] == 200
    before = (len(sent_emails()), len(sent_sms()))
    assert lapse_key(liisa["id"]), "due for a win-back step"
    summary = run_job("marketing", LAPSE_MORNING)
    assert (summary["winback_sent"], summary["birthday_sent"]) == (0, 0), summary
    assert lapse_key(liisa["id"]) is None, "her win-back was looked at and ended"
    assert run_job("marketing", "2027-03-02T10:05:00+02:00")["winback_sent"] == 0
    assert (len(sent_emails()), len(sent_sms())) == before


def test_the_lapse_morning_is_the_business_own_time_zone(client, maija, frozen_now):
    from chalicelib.store import businesses

    config = business().config
    businesses.save_config(config.model_copy(update={"timezone": "America/Los_Angeles"}))
    assert run_job("marketing", "2027-03-01T08:05:00+00:00")["winback_sent"] == 0  # 00:05 in Los Angeles
    assert run_job("marketing", "2027-03-01T17:55:00+00:00")["winback_sent"] == 0  # 09:55
    assert run_job("marketing", "2027-03-01T18:05:00+00:00")["winback_sent"] == 1  # 10:05
    assert len(winbacks()) == 1


def test_a_run_stopped_by_its_budget_is_gone_on_with_by_the_next_and_the_round_ends(client, maija, frozen_now):
    from chalicelib.services import marketing

    # Liisa lapses the same day as Maija.
    past_visits(
        VISITS,
        name="Liisa Lahtinen",
        phone="044 555 6666",
        email="liisa@example.com",
        staff="sanna",
        clock=frozen_now,
    )
    first = marketing.run(at(LAPSE_MORNING), budget_seconds=-1)  # out of time after one client
    assert (first["winback_sent"], first["stopped_by_budget"]) == (1, 1)
    second = marketing.run(at("2027-03-01T11:05:00+02:00"))
    assert (second["winback_sent"], second["resumed"], second["stopped_by_budget"]) == (1, 1, 0)
    assert len(winbacks()) == len(winbacks("liisa@example.com")) == 1  # each once
    third = marketing.run(at("2027-03-01T12:05:00+02:00"))  # a new round, from its start
    assert (third["winback_sent"], third["resumed"]) == (0, 0) and third["units"] > second["units"]


def test_the_weekly_refits_keep_the_episode_and_the_second_message_goes(client, maija, frozen_now):
    """Each Monday's refit re-keys every client to the week's model; one whose win-back
    has begun keeps her lapse day and her next step (21 days on), which the job reads
    only within its last week of days."""
    from chalicelib.store import clients

    assert run_job("marketing", LAPSE_MORNING)["winback_sent"] == 1
    [maija_id] = [c.id for c in clients.all_clients(business().id)]
    for monday in ("2027-03-08", "2027-03-15", "2027-03-22"):
        assert run_job("refit_returns", f"{monday}T03:00:00+02:00")["fitted"] == 1
        c = clients.get_client(business().id, maija_id)
        assert c and (str(c.lapsed_on), str(c.winback_step_on), c.winback_sent) == ("2027-03-01", "2027-03-22", 1)
    assert run_job("marketing", "2027-03-22T10:05:00+02:00")["winback_sent"] == 1  # day 21
    assert len(winbacks()) == 2
    assert lapse_key(maija_id) is None  # the episode is over ...
    run_job("refit_returns", "2027-03-29T03:00:00+03:00")
    assert lapse_key(maija_id) is None  # ... and stays over


def _own_thresholds(desk, at_risk_below, lapsed_below):
    _, current = desk.get("/settings")
    section = dict(current["sections"]["retention"], at_risk_below=at_risk_below, lapsed_below=lapsed_below)
    status, body = desk.put("/settings/retention", section)
    assert status == 200, body


def _standing(desk, frozen_now, when):
    frozen_now["now"] = at(when)
    [c] = desk.get("/clients")[1]["clients"]
    return c["id"], desk.get(f"/clients/{c['id']}")[1]["standing"]["status"]


def test_relaxed_thresholds_no_winback_to_a_client_her_card_calls_active(client, maija, frozen_now):
    """The owner relaxes her thresholds on Monday afternoon ("only when they are really
    gone"): her client's card says active at once, and the next morning brings no "we
    miss you" (the hourly refit re-keyed her)."""
    run_job("refit_returns", "2027-03-01T02:30:00+02:00")  # Monday: the week's fit
    frozen_now["now"] = at("2027-03-01T12:00:00+02:00")
    _own_thresholds(maija, 0.02, 0.01)
    run_job("refit_returns", "2027-03-02T09:30:00+02:00")  # the hourly run, the next morning
    assert _standing(maija, frozen_now, "2027-03-02T10:00:00+02:00")[1] == "active"
    assert run_job("marketing", "2027-03-02T10:05:00+02:00")["winback_sent"] == 0
    assert winbacks() == []


def test_a_winback_step_asks_the_model_in_use_and_waits_for_her_lapse_day_by_it(client, maija, frozen_now):
    """Her thresholds changed after her step was keyed, the refit not at her yet: the step
    finds her not lapsed by the model as it is, sends nothing and waits for the lapse day
    that model gives."""
    from chalicelib.store import clients

    frozen_now["now"] = at("2027-02-28T12:00:00+02:00")
    _own_thresholds(maija, 0.02, 0.01)
    cid, status = _standing(maija, frozen_now, "2027-03-01T10:00:00+02:00")
    assert status == "active"
    summary = run_job("marketing", LAPSE_MORNING)
    assert winbacks() == [] and summary["winback_sent"] == 0
    assert summary["winback_not_lapsed"] == 1
    c = clients.get_client(business().id, cid)
    assert c and c.lapsed_on and c.lapsed_on > at(LAPSE_MORNING).date() and c.winback_step_on == c.lapsed_on
    assert run_job("marketing", "2027-03-02T10:05:00+02:00")["winback_not_lapsed"] == 0  # not read again


def test_the_second_message_of_a_begun_winback_asks_the_model_in_use_too(client, maija, frozen_now):
    from chalicelib.store import clients

    assert run_job("marketing", LAPSE_MORNING)["winback_sent"] == 1
    frozen_now["now"] = at("2027-03-10T12:00:00+02:00")
    _own_thresholds(maija, 0.02, 0.01)
    cid, status = _standing(maija, frozen_now, "2027-03-22T10:00:00+02:00")
    assert status == "active"
    summary = run_job("marketing", "2027-03-22T10:05:00+02:00")  # the step's day (21 days on)
    assert len(winbacks()) == 1 and summary["winback_sent"] == 0
    assert summary["winback_not_lapsed"] == 1
    c = clients.get_client(business().id, cid)
    assert c and c.winback_sent == 1 and c.winback_step_on and c.winback_step_on > date(2027, 3, 22)
    assert str(c.lapsed_on) == "2027-03-01"  # still the episode: its second message when she lapses by it


def test_tightened_thresholds_that_put_her_lapse_day_weeks_back_bring_her_one_winback(client, maija, frozen_now):
    """The owner relaxed her thresholds before Maija's lapse day (1 Mar), then tightens
    them again on 15 Apr: the hourly refit puts her lapse day back on 1 Mar, six weeks
    before the days the job reads, and she never got "we miss you". Now her step is keyed
    on the day of the refit: one win-back that morning, not again on the next runs or the
    next refit, and the second 21 days on, as in any episode."""
    from chalicelib.store import clients

    frozen_now["now"] = at("2027-02-20T12:00:00+02:00")
    _own_thresholds(maija, 0.02, 0.01)
    run_job("refit_returns", "2027-02-20T13:30:00+02:00")
    assert run_job("marketing", LAPSE_MORNING)["winback_sent"] == 0  # relaxed: not lapsed on 1 Mar
    frozen_now["now"] = at("2027-04-15T08:00:00+03:00")
    _own_thresholds(maija, 0.8, 0.6)
    run_job("refit_returns", "2027-04-15T09:30:00+03:00")  # the hourly run re-keys her
    cid, status = _standing(maija, frozen_now, "2027-04-15T10:00:00+03:00")
    assert status == "lapsed"
    assert run_job("marketing", "2027-04-15T10:05:00+03:00")["winback_sent"] == 1
    [m] = winbacks()
    assert "Naisten hiustenleikkaus" in decoded(m)
    assert run_job("marketing", "2027-04-15T11:05:00+03:00")["winback_sent"] == 0
    run_job("refit_returns", "2027-04-19T03:00:00+03:00")  # Monday: the week's fit keeps the episode
    assert run_job("marketing", "2027-04-19T10:05:00+03:00")["winback_sent"] == 0
    c = clients.get_client(business().id, cid)
    assert c and (str(c.lapsed_on), str(c.winback_step_on), c.winback_sent) == ("2027-03-01", "2027-05-06", 1)
    assert run_job("marketing", "2027-05-06T10:05:00+03:00")["winback_sent"] == 1
    assert len(winbacks()) == 2 and lapse_key(cid) is None


def test_a_large_tightening_sends_nothing_to_a_client_who_had_her_winback(client, maija, frozen_now):
    """Maija had both messages of her episode (1 and 22 Mar); the owner relaxes her
    thresholds and then tightens them far: her lapse day stays the episode's, nothing more
    goes to her."""
    from chalicelib.store import clients

    assert run_job("marketing", LAPSE_MORNING)["winback_sent"] == 1
    assert run_job("marketing", "2027-03-22T10:05:00+02:00")["winback_sent"] == 1
    frozen_now["now"] = at("2027-03-25T12:00:00+02:00")
    _own_thresholds(maija, 0.02, 0.01)
    run_job("refit_returns", "2027-03-25T13:30:00+02:00")
    frozen_now["now"] = at("2027-04-15T08:00:00+03:00")
    _own_thresholds(maija, 0.99, 0.98)
    run_job("refit_returns", "2027-04-15T09:30:00+03:00")
    for day in range(15, 31):
        assert run_job("marketing", f"2027-04-{day}T10:05:00+03:00")["winback_sent"] == 0
    [c] = clients.all_clients(business().id)
    assert str(c.lapsed_on) == "2027-03-01" and c.winback_sent == 2 and lapse_key(c.id) is None
    assert len(winbacks()) == 2


# --- a retried win-back is checked again when it is sent ----------------------------------
@pytest.fixture
def throttled_winback(client, maija, frozen_now, monkeypatch):
    """Her win-back written on the lapse morning, its first send throttled by SES: due
    again for the sweeper a minute or two later. Her client id."""
    from chalicelib.notify import channels

    real = channels.send_email
    failing = {"on": True}

    def throttled(*a, **kw):
        if failing["on"]:
            raise channels.SendError("ses:Throttling", throttled=True)
        return real(*a, **kw)

    monkeypatch.setattr(channels, "send_email", throttled)
    assert run_job("marketing", LAPSE_MORNING)["winback_sent"] == 1  # written; the send was throttled
    failing["on"] = False
    assert winbacks() == []
    frozen_now["now"] = at("2027-03-01T10:10:00+02:00")
    return maija.get("/clients")[1]["clients"][0]["id"]


def sweep_the_hour():
    for minute in range(15, 60, 5):
        run_job("send_due", f"2027-03-01T10:{minute:02d}:00+02:00")


def winback_item():
    from tests.api.helpers import table_items

    [item] = [i for i in table_items() if "#winback#" in i["sk"]["S"]]
    return item["status"]["S"], item.get("last_error", {}).get("S")


def test_a_retried_winback_is_not_sent_after_she_unsubscribed_and_booked(client, aws, throttled_winback, frozen_now):
    from chalicelib.store import marketing as mstore

    mstore.unsubscribe(aws.id, throttled_winback, frozen_now["now"], "unsubscribe_page")
    assert book(client, "2027-03-10T12:00:00+02:00")[0] == 201
    sweep_the_hour()
    assert winbacks() == [], "the win-back went out after she unsubscribed and booked"
    assert winback_item() == ("skipped", "no_consent")  # recorded, as other skips are


def test_a_retried_winback_is_not_sent_after_she_booked(client, throttled_winback):
    assert book(client, "2027-03-10T12:00:00+02:00")[0] == 201  # she still consents
    sweep_the_hour()
    assert winbacks() == [], "the win-back went out after she booked"
    assert winback_item() == ("skipped", "booked")


def test_a_retried_winback_is_not_sent_once_she_is_in_maintenance(client, maija, throttled_winback):
    assert maija.patch(f"/clients/{throttled_winback}", {"relationship": "maintenance"})[0] == 200
    sweep_the_hour()
    assert winbacks() == []
    assert winback_item() == ("skipped", "maintenance")


def test_a_retried_winback_that_still_holds_is_sent_once(client, throttled_winback):
    sweep_the_hour()
    assert len(winbacks()) == 1
    assert winback_item() == ("sent", None)


# --- her return undone: still the absence she had her win-back for -------------------------
RETURN = "2027-04-06T12:00:00+03:00"  # her visit after the win-back


def _returned_and_undone(maija, frozen_now):
    """Maija comes back on 6 Apr (Valmis); after the visit the desk corrects it to a
    no-show (it was her sister): her last visit is 2 Feb again. Her client id."""
    from chalicelib.store import bookings, clients

    [cid] = [c.id for c in clients.all_clients(business().id)]
    past_visits([RETURN], clock=frozen_now)
    c = clients.get_client(business().id, cid)
    assert c and c.last_visit_at == at(RETURN) and c.lapsed_on and c.lapsed_on > at(RETURN).date()
    [back] = [a for a in bookings.client_history(business().id, cid) if a.start == at(RETURN)]
    frozen_now["now"] = at("2027-04-06T16:00:00+03:00")
    status, body = maija.post(f"/appointments/{back.id}/status", {"status": "no_show"})
    assert status == 200 and body["status"] == "no_show", body
    return cid


def test_her_return_undone_brings_no_second_winback_for_the_same_absence(client, maija, frozen_now):
    """Maija had both messages of her episode (1 and 22 Mar) and the owner relaxed her
    thresholds on 25 Mar (the episode kept). She comes back on 6 Apr and the desk
    corrects the visit to a no-show: her absence since 2 Feb is the one she had her
    win-back for, so it is the same episode again (lapse day 1 Mar), and no step of a
    new series waits for her anywhere (it waited for her new lapse day, 19 Dec)."""
    from chalicelib.store import clients

    assert run_job("marketing", LAPSE_MORNING)["winback_sent"] == 1
    assert run_job("marketing", "2027-03-22T10:05:00+02:00")["winback_sent"] == 1
    frozen_now["now"] = at("2027-03-25T12:00:00+02:00")
    _own_thresholds(maija, 0.02, 0.01)
    run_job("refit_returns", "2027-03-25T13:30:00+02:00")
    cid = _returned_and_undone(maija, frozen_now)
    c = clients.get_client(business().id, cid)
    assert c and c.last_visit_at == at(VISITS[-1]) and str(c.lapsed_on) == "2027-03-01", c
    step = c.winback_step_on
    for day in range(7, 14):
        assert run_job("marketing", f"2027-04-{day:02d}T10:05:00+03:00")["winback_sent"] == 0
    if step:  # wherever her step was keyed, nothing goes then either
        assert run_job("marketing", f"{step.isoformat()}T10:05:00+02:00")["winback_sent"] == 0
    assert len(winbacks()) == 2 and lapse_key(cid) is None


def test_her_return_undone_after_the_first_message_goes_on_with_its_series(client, maija, frozen_now):
    """Maija had the first message (1 Mar) and came back on 6 Apr; the visit corrected to
    a no-show, her absence since 2 Feb goes on, and so does its series: its second message
    the next morning (more than 21 days after the first), never its first again."""
    from chalicelib.store import clients
    from tests.api.helpers import table_items

    assert run_job("marketing", LAPSE_MORNING)["winback_sent"] == 1
    cid = _returned_and_undone(maija, frozen_now)
    c = clients.get_client(business().id, cid)
    assert c and str(c.lapsed_on) == "2027-03-01" and c.winback_sent == 1
    assert run_job("marketing", "2027-04-07T10:05:00+03:00")["winback_sent"] == 1
    for day in range(8, 31):
        assert run_job("marketing", f"2027-04-{day:02d}T10:05:00+03:00")["winback_sent"] == 0
    keys = sorted(i["sk"]["S"].split("#winback#")[1] for i in table_items() if "#winback#" in i["sk"]["S"])
    assert keys == ["2027-03-01#1", "2027-03-01#2"] and len(winbacks()) == 2 and lapse_key(cid) is None


# --- a no-show undone: the visit she made stops her win-back --------------------------------
MISSED = "2027-02-23T12:00:00+02:00"  # marked a no-show by mistake: she was there


@pytest.fixture
def missed(client, maija, frozen_now):
    """Maija's visit on 23 Feb marked a no-show: her last visit is 2 Feb, her lapse day
    1 Mar. The id of that visit."""
    visits = past_visits([MISSED], status="no_show", clock=frozen_now)
    [appt] = visits.appointments
    return appt.id


def _no_show_undone(desk, appt_id, frozen_now, when):
    frozen_now["now"] = at(when)
    status, body = desk.post(f"/appointments/{appt_id}/status", {"status": "booked"})
    assert status == 200 and body["status"] == "completed", body  # after its end: it took place


def test_a_no_show_undone_before_her_lapse_morning_stops_her_winback(client, maija, missed, frozen_now):
    from chalicelib.store import clients

    [cid] = [c.id for c in clients.all_clients(business().id)]
    assert lapse_key(cid), "her win-back is due on 1 Mar"
    _no_show_undone(maija, missed, frozen_now, "2027-02-28T18:00:00+02:00")
    c = clients.get_client(business().id, cid)
    assert c and c.last_visit_at == at(MISSED) and c.lapsed_on and c.lapsed_on > date(2027, 3, 1)
    for day in range(1, 8):
        assert run_job("marketing", f"2027-03-{day:02d}T10:05:00+02:00")["winback_sent"] == 0
    assert winbacks() == []


def test_a_no_show_undone_after_her_winback_was_queued_stops_it(client, maija, missed, throttled_winback, frozen_now):
    """Her win-back was written on the lapse morning, its send throttled; the desk puts
    back her visit of 23 Feb before the sweeper's retry: it is not sent."""
    _no_show_undone(maija, missed, frozen_now, "2027-03-01T10:12:00+02:00")
    sweep_the_hour()
    assert winbacks() == [], "the win-back went out after her visit was put back"
    assert winback_item() == ("skipped", "visited")


def _closed(*days: str) -> None:
    """The demo salon closed on these days (its closures, as the owner's calendar has them)."""
    from chalicelib.store.businesses import save_config
    from tests.conftest import demo_config

    cfg = demo_config()
    data = cfg.model_dump(mode="json")
    data["closures"] = [*data["closures"], *({"date": d, "name": "Suljettu"} for d in days)]
    save_config(type(cfg).model_validate(data))


def test_a_winback_due_on_a_closed_day_goes_on_the_next_open_morning(client, maija, frozen_now):
    """A walk: a win-back went on Christmas Day, the salon closed. "Book now" waits for the
    next morning the salon is open."""
    _closed("2027-03-01", "2027-03-02")
    assert run_job("marketing", LAPSE_MORNING)["winback_sent"] == 0
    assert run_job("marketing", "2027-03-02T10:05:00+02:00")["winback_sent"] == 0
    assert run_job("marketing", "2027-03-03T10:05:00+02:00")["winback_sent"] == 1
    assert len(winbacks()) == 1


def test_a_long_closure_does_not_lose_the_winback(client, maija, frozen_now):
    """Closed for three weeks (a summer break): the step is not waited for past the days
    the win-back looks back over, so it still goes (on a closed morning, late in the
    look-back) rather than never."""
    _closed(*(f"2027-03-{d:02d}" for d in range(1, 22)))
    sent = [run_job("marketing", f"2027-03-{d:02d}T10:05:00+02:00")["winback_sent"] for d in range(1, 22)]
    assert sum(sent) == 1 and sent.index(1) == 6, sent  # on 7 Mar: a day before the look-back would pass it
