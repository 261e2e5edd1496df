// The one catalogue (chalicelib/strings/*.json): the dashboard's words in every language,
// and the formatting helpers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import * as i18n from "../../chalicelib/static/dashboard/i18n.js";

const dir = new URL("../../chalicelib/strings/", import.meta.url);
const load = (l) => JSON.parse(readFileSync(new URL(`${l}.json`, dir), "utf8"));

test("every language has the same keys in every section", () => {
  const [fi, sv, en] = ["fi", "sv", "en"].map(load);
  for (const section of Object.keys(fi)) {
    const keys = Object.keys(fi[section]).sort();
    assert.deepEqual(Object.keys(sv[section]).sort(), keys, `sv ${section}`);
    assert.deepEqual(Object.keys(en[section]).sort(), keys, `en ${section}`);
  }
});

test("every key the dashboard's modules use is in the catalogue", () => {
  const src = new URL("../../chalicelib/static/dashboard/", import.meta.url);
  const words = load("en").dashboard;
  const used = new Set();
  for (const f of readdirSync(src).filter((n) => n.endsWith(".js"))) {
    const text = readFileSync(new URL(f, src), "utf8");
    for (const m of text.matchAll(/\bt\("([a-z0-9_]+)"/g)) used.add(m[1]);
    // A counted phrase has a form per plural category: "one" and "other" in fi, sv and en.
    for (const m of text.matchAll(/\bplural\("([a-z0-9_]+)"/g)) { used.add(`${m[1]}_one`); used.add(`${m[1]}_other`); }
  }
  const html = readFileSync(new URL("../../chalicelib/pages/templates/dashboard.html", import.meta.url), "utf8");
  for (const m of html.matchAll(/data-t(?:-label|-placeholder)?="([a-z0-9_]+)"/g)) used.add(m[1]);
  const missing = [...used].filter((k) => !(k in words));
  assert.deepEqual(missing, []);
});

// A message's kind is its templates' folder (chalicelib/notify/render.py: "a new kind is
// only new template files"): each kind the server can send, to a client or to the owner,
// is named in the owner's words where the dashboard lists messages (lists.js k_<kind>),
// never as its code.
test("every kind of message the server sends has its label in every language", () => {
  const templates = new URL("../../chalicelib/notify/templates/", import.meta.url);
  const kinds = readdirSync(templates, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith("_")).map((d) => d.name).sort();
  assert.ok(kinds.includes("confirmation") && kinds.includes("fee_charged"), kinds.join(", "));
  for (const l of ["fi", "sv", "en"]) {
    const words = load(l).dashboard;
    const missing = kinds.filter((k) => !words[`k_${k}`] || words[`k_${k}`] === k);
    assert.deepEqual(missing, [], `${l}: kinds without a label`);
    const stale = Object.keys(words).filter((key) => key.startsWith("k_") && !kinds.includes(key.slice(2)));
    assert.deepEqual(stale, [], `${l}: labels of no kind`);
  }
});

// Her card lists the messages sent to her with their status (client.js msg_st_<status>):
// each status a message can have (chalicelib/domain/messages.py) is in words.
test("every status of a message has its words in every language", () => {
  const source = readFileSync(new URL("../../chalicelib/domain/messages.py", import.meta.url), "utf8");
  const block = source.split("class MessageStatus")[1].split("\n\n\n")[0];
  const statuses = [...block.matchAll(/^\s+[A-Z_]+ = "([a-z_]+)"/gm)].map((m) => m[1]);
  assert.ok(statuses.includes("sent") && statuses.includes("parked"), statuses.join(", "));
  for (const l of ["fi", "sv", "en"]) {
    const words = load(l).dashboard;
    assert.deepEqual(statuses.filter((s) => !words[`msg_st_${s}`]), [], `${l}: statuses without words`);
  }
});

test("placeholders are the same in every language", () => {
  const [fi, sv, en] = ["fi", "sv", "en"].map(load);
  const names = (s) => [...String(s).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(",");
  for (const section of ["dashboard"]) {
    for (const key of Object.keys(en[section])) {
      assert.equal(names(fi[section][key]), names(en[section][key]), `fi ${key}`);
      assert.equal(names(sv[section][key]), names(en[section][key]), `sv ${key}`);
    }
  }
});

test("every counted phrase has both plural forms in every language, the count in the other", () => {
  const src = new URL("../../chalicelib/static/dashboard/", import.meta.url);
  const counted = new Set();
  for (const f of readdirSync(src).filter((n) => n.endsWith(".js"))) {
    for (const m of readFileSync(new URL(f, src), "utf8").matchAll(/\bplural\("([a-z0-9_]+)"/g)) counted.add(m[1]);
  }
  assert.ok(counted.has("sum_week_value"));
  for (const l of ["fi", "sv", "en"]) {
    const words = load(l).dashboard;
    for (const base of counted) {
      assert.ok(!(base in words), `${l} ${base}: a counted phrase has no plain form`);
      assert.match(words[`${base}_other`], /\{n\}/, `${l} ${base}_other`);
    }
  }
});

test("counts take the language's plural form: 1 booking, 0 and 2 bookings", () => {
  const cases = {
    fi: ["1 varaus", "0 varausta", "2 varausta", "1 500 varausta"],
    sv: ["1 bokning", "0 bokningar", "2 bokningar", "1 500 bokningar"],
    en: ["1 booking", "0 bookings", "2 bookings", "1,500 bookings"],
  };
  for (const [l, expected] of Object.entries(cases)) {
    i18n.setCatalogue(l, load(l));
    i18n.setLang(l);
    const got = [1, 0, 2, 1500].map((n) => i18n.plural("sum_week_value", n).replace(/\s/g, " "));
    assert.deepEqual(got, expected, l);
  }
  i18n.setLang("fi");
  assert.equal(i18n.plural("days_n", 1.2), "1 päivä"); // by the count shown, rounded
  assert.equal(i18n.plural("rating_of", 1, { avg: "4,0" }), "4,0/5 (1 arvio)");
  // A phrase with two counts: the second as a phrase of its own.
  i18n.setLang("en");
  assert.equal(i18n.plural("sig_no_contact", 40, { longest: i18n.plural("days_n", 1) }),
    "No visit or booking for 40 days, longer than ever before (the longest gap between their visits and bookings so far 1 day).");
  assert.equal(i18n.plural("err_min", 5), "At least 5."); // a key without forms: the plain one
});

test("the second retention group has one word per language, the list's and the card's", () => {
  // The third walkthrough: settings said "Menetetty / Förlorad / Lost" for "Poisjäänyt /
  // Slutat komma / Lapsed".
  const other = { fi: /menetet/i, sv: /förlora/i, en: /\blost\b/i };
  const word = { fi: /poisjä/i, sv: /slutat komma/i, en: /\blapsed\b/i };
  for (const l of ["fi", "sv", "en"]) {
    const d = load(l).dashboard;
    assert.deepEqual(Object.keys(d).filter((k) => other[l].test(d[k])), [], l);
    for (const k of ["lapsed", "set_lapsed_below", "set_winback_messages", "err_limits_order"]) assert.match(d[k], word[l], `${l} ${k}`);
  }
});

test("t() fills placeholders and falls back to the key", () => {
  i18n.setCatalogue("en", load("en"));
  i18n.setLang("en");
  assert.equal(i18n.t("sum_lapsed", { n: 3 }), "Lapsed: 3");
  assert.equal(i18n.t("no_such_key"), "no_such_key");
  assert.equal(i18n.format("{a} and {b}", { a: 1 }), "1 and {b}");
  assert.equal(i18n.kpiWords("visits").name, "Visits");
});

test("money, percentages and dates in the language's conventions", () => {
  i18n.setCatalogue("fi", load("fi"));
  i18n.setLang("fi");
  assert.equal(i18n.money(6900, "EUR").replace(/\s/g, " "), "69,00 €");
  assert.equal(i18n.day("2026-11-25T09:00:00+02:00"), "25.11.2026");
  assert.equal(i18n.percentNumber(0.755), "75,5"); // the list's "alle 75,5 %", not "alle 76 %"
  assert.equal(i18n.percentNumber(0.8), "80");
  i18n.setLang("en");
  assert.equal(i18n.percent(0.125), "12.5%");
  assert.equal(i18n.percentNumber(0.755), "75.5");
  i18n.setLang("xx");
  assert.equal(i18n.lang(), "fi");
});

test("a span of days reads as one date when it is one day", () => {
  // Walk report (360 px): the desk's waitlist showed a one-day entry as "8.12.2026 – 8.12.2026".
  i18n.setLang("fi");
  assert.equal(i18n.days("2026-12-08", "2026-12-08"), "8.12.2026");
  assert.equal(i18n.days("2026-12-08", "2026-12-10"), "8.12.2026 – 10.12.2026");
  i18n.setLang("en");
  assert.equal(i18n.days("2026-12-08", "2026-12-08"), "8 Dec 2026");
});

test("times in text as the language writes them: one formatter, whatever the time comes as", () => {
  const at = Date.parse("2026-11-25T13:30:00+02:00");
  const words = (lang) => {
    i18n.setLang(lang);
    return [
      i18n.clock("2026-11-25T08:00:00+02:00"), // the API's local ISO: its own wall clock
      i18n.clock("2026-11-25T09:05:00-05:00"),
      i18n.clock("13:30"), // opening hours, a waitlist window
      i18n.clock(at, "Europe/Helsinki"), // an instant, on the business's wall clock
      i18n.clock(at, "Europe/Stockholm"),
      i18n.clock("2026-11-25T00:05:00+02:00"),
    ];
  };
  assert.deepEqual(words("fi"), ["8.00", "9.05", "13.30", "13.30", "12.30", "0.05"]);
  assert.deepEqual(words("sv"), ["8.00", "9.05", "13.30", "13.30", "12.30", "0.05"]); // sv-FI, as Intl has it
  assert.deepEqual(words("en"), ["08:00", "09:05", "13:30", "13:30", "12:30", "00:05"]);
  i18n.setLang("fi");
  assert.equal(i18n.clock("no time here"), "no time here");
});

test("the API's English errors are shown in the dashboard's own words, by code and by field", async () => {
  const i18n = await import("../../chalicelib/static/dashboard/i18n.js");
  i18n.setCatalogue("fi", load("fi"));
  i18n.setLang("fi");
  const fi = load("fi").dashboard;
  const taken = { status: 409, code: "slot_taken", message: "That time was just taken.", fields: {} };
  assert.equal(i18n.errorText(taken), fi.err_slot_taken);
  // A code the catalogue does not know: words by the status, never the English message.
  assert.equal(i18n.errorText({ status: 409, code: "something_new", message: "English" }), fi.err_conflict);
  assert.equal(i18n.errorText({ status: 422, code: "validation_failed", message: "English" }), fi.err_validation_failed);
  assert.equal(i18n.errorText({ status: 503, code: "http_503", message: "English" }), fi.err_server);
  assert.equal(i18n.errorText({ status: 0, code: "network" }), fi.err_network);
  // A change whose answer was lost: it may be done; with its key, tapping again is safe.
  assert.equal(i18n.errorText({ status: 0, code: "network", unanswered: "keyed" }), fi.err_network_keyed);
  assert.equal(i18n.errorText({ status: 0, code: "network", unanswered: "sent" }), fi.err_network_sent);
  assert.match(fi.err_network_keyed, /ehkä jo tehty/);
  // A code refined by a reason: the reason's words, else the code's.
  const notYet = { status: 409, code: "invalid_mark", message: "Cannot mark this visit arrived: the visit has not begun yet.", details: { reason: "not_started" } };
  assert.equal(i18n.errorText(notYet), fi.err_invalid_mark_not_started);
  assert.equal(i18n.errorText({ ...notYet, details: { reason: "something_new" } }), fi.err_invalid_mark);
  // The booking in the way named by its start (an owner's walk: which one to move?).
  const inTheWay = { status: 409, code: "invalid_mark", details: { reason: "time_taken", overlaps: { start: "2026-11-25T10:15:00+02:00", end: "2026-11-25T11:25:00+02:00" } } };
  assert.equal(i18n.errorText(inTheWay), "Merkintää ei voi kumota: vapautunut aika on jo varattu toiselle klo\u00a010.15 alkaen. Siirrä tai peru se varaus ensin.");
  assert.equal(i18n.fieldText("client.phone", "not a valid phone number"), fi.f_phone);
  assert.equal(i18n.fieldText("start", "is in the past"), fi.f_start_past);
  assert.equal(i18n.fieldText("actions.0.due", "is in the past"), fi.f_date_past); // a follow-up's action
  // A birthday written right but on no such day (31.2.), or a year not lived in: said so.
  assert.equal(i18n.fieldText("birthday", "not a real date"), fi.f_birthday_no_day);
  assert.equal(i18n.fieldText("birthday", "year out of range"), fi.f_birthday_year);
  assert.equal(i18n.fieldText("birthday", "use 14.3.1985 or 1985-03-14, or 14.3. when the year is not known"), fi.f_birthday);
  assert.equal(i18n.fieldText("start", "is outside the staff member's working hours"), fi.f_start);
  // The API's whole reason: "past closing" is about the hours, not a time gone by.
  assert.equal(i18n.fieldText("start", "is outside the staff member's working hours, or the service would run past closing"), fi.f_start);
  assert.equal(i18n.fieldText("repeat.weekly_until", "is before the first occurrence"), fi.f_weekly_until);
  assert.equal(i18n.fieldText("tags.3", "too long"), fi.f_invalid);
  // A checkout below the deposit kept: the least price with its number, and what to do first.
  const below = i18n.fieldText("price_cents", "greater than or equal to 4770 (the deposit kept; refund the difference first)", "EUR");
  assert.equal(below.replace(/\s/g, " "), fi.checkout_price_below_deposit.replace("{deposit}", "47,70 €"));
  assert.equal(i18n.fieldText("price_cents", "Input should be greater than or equal to 0", "EUR").replace(/\s/g, " "), "Vähintään 0,00 €.");
  // Its discount below the deposit kept, the visit and its products above the most, more off than them.
  const off = i18n.fieldText("discount", "greater than or equal to 4770 (the deposit kept; refund the difference first)", "EUR");
  assert.equal(off.replace(/\s/g, " "), fi.checkout_discount_below_deposit.replace("{deposit}", "47,70 €"));
  const all = i18n.fieldText("lines", "less than or equal to 1000000 in all (the visit's price and its products)", "EUR");
  assert.equal(all.replace(/\s/g, " "), fi.checkout_total_too_big.replace("{most}", "10 000,00 €"));
  const most = i18n.fieldText("discount.amount_cents", "less than or equal to 18390 (the visit and its products)", "EUR");
  assert.equal(most.replace(/\s/g, " "), "Enintään 183,90 €.");
  // A waitlist entry's dates: each reason its own words, not one sentence of every rule.
  assert.equal(i18n.fieldText("from", "is in the past"), fi.f_date_past);
  assert.equal(i18n.fieldText("to", "must not be before 'from'"), fi.wl_to_before_from);
  assert.equal(i18n.fieldText("to", "a range of at most 31 days"), "Enintään 31 päivää kerrallaan.");
  assert.equal(i18n.fieldText("from", "the staff member chosen does not work on these days and times"), fi.f_from_staff_off);
});

test("a limit the API names is said with its number: a price's in money, a text's in characters", () => {
  i18n.setCatalogue("fi", load("fi"));
  i18n.setLang("fi");
  // Checkout over the maximum, allergies over 2000 characters, a search over 100 (no input marked).
  assert.equal(i18n.fieldText("price_cents", "Input should be less than or equal to 1000000", "EUR"), "Enintään 10\u00a0000,00\u00a0€.");
  assert.equal(i18n.fieldText("allergies", "String should have at most 2000 characters"), "Enintään 2\u00a0000 merkkiä.");
  assert.equal(i18n.reasonText({ status: 422, code: "validation_failed", fields: { q: "at most 100 characters" } }), "Enintään 100 merkkiä.");
  assert.equal(i18n.reasonText({ status: 409, code: "slot_taken", fields: {} }), load("fi").dashboard.err_slot_taken);
});

test("a text the salon wrote per language shows in the dashboard's language, else the first one written", () => {
  const name = { fi: "Naisten hiustenleikkaus", sv: "Damklippning", en: "Women's haircut" };
  try {
    i18n.setLang("en");
    assert.equal(i18n.localText(name), "Women's haircut");
    i18n.setLang("sv");
    assert.equal(i18n.localText(name), "Damklippning");
    assert.equal(i18n.localText({ fi: "Värjäys", sv: "", en: null }), "Värjäys");
    assert.equal(i18n.localText({ fi: "", sv: "", en: "Colour" }), "Colour");
    assert.equal(i18n.localText(null), "");
  } finally {
    i18n.setLang("fi");
  }
});

test("an empty name says a name is needed, in each language, not 'check the name'", () => {
  const said = "String should have at least 1 character";
  for (const [l, words] of [["fi", "Nimi tarvitaan."], ["sv", "Ett namn behövs."], ["en", "A name is needed."]]) {
    i18n.setCatalogue(l, load(l));
    i18n.setLang(l);
    assert.equal(i18n.fieldText("name", said), words); // an API key's, a client's
    assert.equal(i18n.fieldText("client.name", "Field required"), words);
  }
  i18n.setLang("en");
  assert.equal(i18n.fieldText("name", "String should have at most 80 characters"), "At most 80 characters.");
});

// A desk change in the quiet hours holds her SMS until they end; the API's answer says
// when (sms_at) and the status line says it in the owner's language, as the personal
// message's sheet does for its held SMS ("lähtee klo 8.00", a no-break space after klo).
test("the status line says when the client's held SMS goes, and nothing more by day", () => {
  const night = { status: "cancelled", sms_at: "2026-11-24T08:00:00+02:00" };
  const said = {
    fi: "Varaus peruttu: Helena. Tekstiviesti asiakkaalle lähtee klo\u00a08.00, kun hiljainen aika tekstiviesteiltä päättyy.",
    sv: "Bokningen avbokad: Helena. Sms:et till kunden skickas kl.\u00a08.00, när den tysta tiden för sms är slut.",
    en: "Booking cancelled: Helena. The text message to the client will go at\u00a008:00, when the quiet hours for text messages end.",
  };
  try {
    for (const l of ["fi", "sv", "en"]) {
      i18n.setCatalogue(l, load(l));
      i18n.setLang(l);
      const done = i18n.t("cancelled_done", { name: "Helena" });
      assert.equal(i18n.withHeldSms(done, night), said[l]);
      assert.equal(i18n.withHeldSms(done, { status: "cancelled" }), done); // by day: at once
      assert.equal(i18n.withHeldSms(done, undefined), done);
    }
  } finally {
    i18n.setLang("fi");
  }
});

test("a number or an amount as she types it: the decimal mark a comma or a point, never dropped", () => {
  assert.equal(i18n.readNumber("12,5"), 12.5);
  assert.equal(i18n.readNumber("12.5"), 12.5);
  assert.equal(i18n.readNumber(" 12,5 % "), 12.5);
  assert.equal(i18n.readNumber("1 234,5"), 1234.5);
  assert.equal(i18n.readNumber("-3"), -3);
  assert.equal(i18n.readNumber(""), null);
  assert.ok(Number.isNaN(i18n.readNumber("abc")));
  assert.ok(Number.isNaN(i18n.readNumber("12,5,0")));
  assert.equal(i18n.readCents("15,50"), 1550);
  assert.equal(i18n.readCents("15.5"), 1550);
  assert.equal(i18n.readCents(" 27,70 € "), 2770);
  assert.equal(i18n.readCents("1 234.50"), 123450);
  assert.equal(i18n.readCents("45 eur"), 4500);
  assert.equal(i18n.readCents(""), null);
  assert.equal(i18n.readCents("2,555"), null);
  assert.equal(i18n.readCents("-5"), null);
});

test("an English date says its month in words: 09/12 reads as 9 Dec or 12 Sep", () => {
  i18n.setLang("en");
  assert.equal(i18n.day("2026-12-09", { weekday: "short", day: "numeric", month: "numeric" }), "Wed 9 Dec");
  i18n.setLang("fi");
  assert.equal(i18n.day("2026-12-09", { weekday: "short", day: "numeric", month: "numeric" }), "ke 9.12.");
  i18n.setLang("sv");
  assert.equal(i18n.day("2026-12-09", { weekday: "short", day: "numeric", month: "numeric" }), "ons 9.12");
});
