// The settings screen's forms <-> the sections of GET/PUT /settings.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as F from "../../chalicelib/static/dashboard/settingsform.js";

const sections = {
  salon: { name: "Salon Aurora", address: "Fredrikinkatu 20, 00120 Helsinki", phone: "+358 9 123 4567", website: null,
    locale: "fi", owner_email: "owner@example.com", owner_locale: null },
  hours: { mon: [["09:00", "18:00"]], tue: [["09:00", "12:00"], ["13:00", "18:00"]], wed: [], thu: [], fri: [], sat: [], sun: [] },
  closures: [{ date: "2026-12-24", name: "Jouluaatto" }, { date: "2026-12-25", name: null }],
  services: [
    { id: "womens-cut", name: { fi: "Naisten leikkaus", sv: "Damklippning", en: null }, category: null, description: null,
      duration_minutes: 60, price_cents: 6950, price_max_cents: null, buffer_minutes: 10, return_interval_days: 42,
      payment: null, vat_percent: null },
    { id: "colour", name: { fi: "Värjäys", sv: null, en: null }, category: { fi: "Väri", sv: null, en: "Colour" }, description: null,
      duration_minutes: 120, price_cents: 12900, price_max_cents: 16900, buffer_minutes: 15, return_interval_days: null,
      // The VAT rate is not on the form, set in the business file: a save keeps it (it once
      // dropped the deposit, now on the form).
      payment: { kind: "deposit", deposit_cents: null, deposit_percent: 30 }, vat_percent: 14 },
  ],
  staff: [
    { id: "aino", name: "Aino", title: { fi: "Kampaaja", sv: null, en: null }, photo_url: null, photo: "demo-aino", services: ["womens-cut", "colour"],
      hours: { mon: [["09:00", "17:00"]], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] }, days_off: ["2026-12-31"],
      exceptions: { "2026-12-23": [["10:00", "14:00"]] } },
    { id: "mikko", name: "Mikko", title: null, photo_url: "https://x.example/m.jpg", photo: null, services: ["colour"],
      hours: { mon: [], tue: [["10:00", "18:00"]], wed: [], thu: [], fri: [], sat: [], sun: [] }, days_off: [], exceptions: {} },
  ],
  rules: { min_notice_minutes: 120, max_horizon_days: 90, slot_step_minutes: 15, cancellation_window_hours: 24, change_grace_minutes: 15 },
  reminders: [{ channel: "email", hours_before: 24, day_before_at: null }, { channel: "sms", hours_before: null, day_before_at: "18:00" }],
  messages: { review_link: "https://g.page/x", sender_name: null, sms_sender: "Aurora" },
  shop: { intro: { fi: "Kampaamo Kampissa.", sv: null, en: "A salon in Kamppi." }, cover: "demo-cover", logo: null,
    map_url: null, show_rating: true, rating_min_count: 5 },
  retention: { at_risk_after: 0.5, lapsed_after: 1.5, default_return_days: 45, return_window_days: 182, at_risk_below: 0.8, lapsed_below: 0.6 },
  marketing: {
    marketing: { min_days_between: 14, send_at: "10:00", winback_messages: 2, winback_days_between: 21, birthday_greetings: true,
      birthday_perk: null, next_visit_nudge: false, nudge_lead_days: 3 },
    quiet_hours: { start: "21:00", end: "08:00" },
  },
  loyalty: {
    loyalty: { enabled: true, stamps_for_reward: 10, reward_valid_days: 365, counts_from: "2026-12-01",
      reward: { percent_off: 50, amount_off_cents: null, description: { fi: "-50 % seuraavasta käynnistä", sv: null, en: "50% off your next visit" } } },
    referrals: { enabled: false, reward_valid_days: null,
      referrer_reward: { percent_off: null, amount_off_cents: 1550, description: null },
      welcome_perk: { percent_off: 10, amount_off_cents: null, description: null } },
  },
  feedback: { delay_hours: 1.5, day_start: "09:00", day_end: "20:00", low_score: 3, min_days_between: 7 },
  terms: { free_until_hours: 24, late_cancel_fee_percent: 50, no_show_fee_percent: 100 },
  policy: { kind: "deposit", deposit_cents: null, deposit_percent: 20 },
};

test("every section round-trips through its form unchanged", () => {
  for (const name of F.SECTIONS) {
    const { value, errors } = F.fromForm(name, F.toForm(name, sections[name], sections));
    assert.deepEqual(errors, {}, name);
    assert.deepEqual(value, sections[name], name);
  }
});

test("a rule across fields is marked at the first field of the section it names", () => {
  const known = new Set(["at_risk_below", "lapsed_below", "return_window_days"]);
  assert.equal(F.namedField("lapsed_below must be at most at_risk_below", known), "lapsed_below");
  assert.equal(F.namedField("set both at_risk_below and lapsed_below, or neither (fitted to your own past)", known), "at_risk_below");
  assert.equal(F.namedField("no staff member offers the service 'x'", known), null);
  assert.equal(F.namedField("day_start must be before day_end", new Set(["day_start", "day_end"])), "day_start");
});

test("salon: an empty phone or website is none, an empty name goes as empty (refused at its field)", () => {
  const form = F.toForm("salon", sections.salon, sections);
  assert.equal(form.website, "");
  Object.assign(form, { name: "  Parturi Maria ", phone: " ", address: "" });
  const { value, errors } = F.fromForm("salon", form);
  assert.deepEqual(errors, {});
  assert.deepEqual(value, { name: "Parturi Maria", address: "", phone: null, website: null, locale: "fi",
    owner_email: "owner@example.com", owner_locale: null });
});

test("salon: the alerts' language is hers when chosen, the salon's (null) when not", () => {
  const form = F.toForm("salon", { ...sections.salon, owner_locale: "sv" }, sections);
  assert.equal(form.owner_locale, "sv");
  assert.equal(F.fromForm("salon", form).value.owner_locale, "sv");
  form.owner_locale = "";
  assert.equal(F.fromForm("salon", form).value.owner_locale, null);
});

test("services: prices in euros, empty optional texts are null, a new one gets an id from its name", () => {
  const form = F.toForm("services", sections.services, sections, ",");
  assert.equal(form[0].price, "69,50");
  assert.deepEqual(form[0].staff, ["aino"]);
  assert.deepEqual(form[1].staff, ["aino", "mikko"]);
  form[0].price = "72";
  form[0].category = { fi: "", sv: "Klipp", en: "" };
  const added = { ...F.blank("services"), name: { fi: "Hiusten pesu & hoito", sv: "", en: "" }, price: "1 234,5 €", duration_minutes: "30" };
  const { value, errors } = F.fromForm("services", [...form, added]);
  assert.deepEqual(errors, {});
  assert.equal(value[0].price_cents, 7200);
  assert.deepEqual(value[0].category, { fi: "", sv: "Klipp", en: null }); // the server names "0.category.fi"
  assert.equal(value[2].id, "hiusten-pesu-hoito");
  assert.equal(value[2].price_cents, 123450);
  assert.equal(value[2].return_interval_days, null);
  assert.equal(value[2].duration_minutes, 30);
});

test("what cannot be read is an error at the API's path; other bad numbers go to the server as typed", () => {
  const form = F.toForm("services", sections.services, sections);
  form[1].price = "lots";
  form[0].price = "";
  form[0].duration_minutes = "1h";
  const { value, errors } = F.fromForm("services", form);
  assert.deepEqual(errors, { "1.price_cents": "price", "0.price_cents": "required" });
  assert.equal(value[0].duration_minutes, "1h");
  assert.equal(F.centsToText(5, "."), "0.05");
});

test("ids of new things are unique and fit the API's pattern", () => {
  assert.equal(F.newId("Ääni & Öljy!", []), "aani-oljy");
  assert.equal(F.newId("Colour", ["colour", "colour-2"]), "colour-3");
  assert.equal(F.newId("!!!", [], "service"), "service");
  assert.match(F.newId("x".repeat(80), []), /^[a-z0-9][a-z0-9-]{0,39}$/);
  const staff = F.withIds("staff", [...F.toForm("staff", sections.staff), { ...F.blank("staff"), name: "Aino" }]);
  assert.equal(staff[2].id, "aino-2");
});

test("reminders: hours before or the day before at a time; rules and messages", () => {
  const form = F.toForm("reminders", sections.reminders);
  form[0].timing = "day_before";
  form[0].day_before_at = "17:30";
  form.push(F.blank("reminders"));
  assert.deepEqual(F.fromForm("reminders", form).value, [
    { channel: "email", hours_before: null, day_before_at: "17:30" },
    { channel: "sms", hours_before: null, day_before_at: "18:00" },
    { channel: "email", hours_before: 24, day_before_at: null },
  ]);
  const rules = F.toForm("rules", sections.rules);
  rules.slot_step_minutes = " 30 ";
  assert.equal(F.fromForm("rules", rules).value.slot_step_minutes, 30);
  const messages = F.toForm("messages", sections.messages);
  messages.sms_sender = "  ";
  assert.equal(F.fromForm("messages", messages).value.sms_sender, null);
});

test("shop window: the introduction per language, the map link, the rating hidden or its threshold; the images kept", () => {
  const form = F.toForm("shop", sections.shop);
  form.intro.en = "  ";
  form.map_url = " https://maps.example/aurora ";
  form.show_rating = "no";
  form.rating_min_count = " 10 ";
  assert.deepEqual(F.fromForm("shop", form).value, {
    intro: { fi: "Kampaamo Kampissa.", sv: null, en: null }, cover: "demo-cover", logo: null,
    map_url: "https://maps.example/aurora", show_rating: false, rating_min_count: 10,
  });
});

test("who offers what: a new service ticked for a member, a removed one dropped", () => {
  const form = F.toForm("services", sections.services, sections);
  assert.equal(F.offersChanged(sections.staff, form), false);
  const added = { ...F.blank("services"), id: "blowdry", staff: ["mikko"] };
  const after = F.staffWithOffers(sections.staff, [form[1], added]); // womens-cut removed
  assert.deepEqual(after.map((m) => m.services), [["colour"], ["colour", "blowdry"]]);
  assert.equal(F.offersChanged(sections.staff, [form[1], added]), true);
  assert.deepEqual(after[0].days_off, ["2026-12-31"]);
  form[1].staff = ["mikko"];
  assert.deepEqual(F.staffWithOffers(sections.staff, form).map((m) => m.services), [["womens-cut"], ["colour"]]);
});

test("an error finds its input, or the nearest place that holds it, or the section", () => {
  const known = new Set(["0.name.fi", "0.duration_minutes", "0", "mon", "1.hours.mon"]);
  assert.equal(F.targetFor("0.duration_minutes", known), "0.duration_minutes");
  assert.equal(F.targetFor("0.colour", known), "0");
  assert.equal(F.targetFor("1.hours.mon", known), "1.hours.mon");
  assert.equal(F.targetFor("1.name", known), "_");
  assert.equal(F.targetFor("_", known), "_");
  assert.deepEqual(F.servicesErrorsFromConfig({ "services.2.price_cents": "x", body: "no staff member offers: a", "staff.0.name": "y" }),
    { "2.price_cents": "x", _: "no staff member offers: a; y" });
});

test("the API's English messages become the catalogue's keys", () => {
  assert.deepEqual(F.explain("Input should be greater than or equal to 5"), { key: "err_min", vars: { n: "5" } });
  assert.deepEqual(F.explain("Input should be less than or equal to 366"), { key: "err_max", vars: { n: "366" } });
  assert.deepEqual(F.explain("must be a multiple of 5"), { key: "err_multiple", vars: { n: "5" } });
  assert.deepEqual(F.explain("'09:03' must be on a 5-minute boundary"), { key: "err_multiple", vars: { n: "5" } });
  assert.equal(F.explain("interval 18:00-09:00 ends before it starts").key, "err_interval_order");
  assert.equal(F.explain("must be an https:// URL").key, "err_https");
  assert.deepEqual(F.explain("no staff member offers: colour"), { key: "err_unserved", vars: { ids: "colour" } });
  assert.equal(F.explain("Input should be a valid integer, unable to parse string as an integer").key, "err_number");
  assert.equal(F.explain("required").key, "err_required");
  assert.equal(F.explain("String should have at least 1 character").key, "err_required");
  assert.equal(F.explain("List should have at most 4 items after validation, not 5").key, "err_too_many");
  assert.equal(F.explain("Input should be a valid date or datetime, month value is outside expected range").key, "err_date");
  assert.equal(F.explain("something new").key, "err_invalid");
});

test("retention: spans of whole weeks in weeks, others in days; the limits as percentages, empty: fitted", () => {
  const form = F.toForm("retention", sections.retention, sections);
  assert.deepEqual(form.return_window_days, { n: "26", unit: "weeks" });
  assert.deepEqual(form.default_return_days, { n: "45", unit: "days" });
  assert.equal(form.at_risk_below, "80");
  form.return_window_days.n = "52";
  form.default_return_days = { n: "8", unit: "weeks" };
  form.at_risk_below = "72,5";
  form.lapsed_below = "";
  const { value } = F.fromForm("retention", form);
  assert.equal(value.return_window_days, 364);
  assert.equal(value.default_return_days, 56);
  assert.equal(value.at_risk_below, 0.725);
  assert.equal(value.lapsed_below, null);
  assert.equal(value.at_risk_after, 0.5); // kept as it was
  // A limit with a decimal reads back with the language's mark ("75.5" in the Finnish screen).
  const half = { ...sections.retention, at_risk_below: 0.755 };
  assert.equal(F.toForm("retention", half, sections, ",").at_risk_below, "75,5");
  assert.equal(F.toForm("retention", half, sections, ".").at_risk_below, "75.5");
  assert.equal(F.fromForm("retention", F.toForm("retention", half, sections, ",")).value.at_risk_below, 0.755);
  form.return_window_days.n = "puoli vuotta";
  assert.equal(F.fromForm("retention", form).value.return_window_days, "puoli vuotta"); // the server names it
});

test("marketing and feedback: switches, times, the perk empty as null, hours with a decimal comma", () => {
  const form = F.toForm("marketing", sections.marketing, sections);
  assert.deepEqual(form.marketing.winback_days_between, { n: "3", unit: "weeks" });
  form.marketing.next_visit_nudge = true;
  form.marketing.nudge_lead_days = "5";
  form.marketing.birthday_greetings = false;
  assert.deepEqual(form.marketing.birthday_perk, { fi: "", sv: "", en: "" });
  form.marketing.birthday_perk = { fi: "  ", sv: " ", en: "" };
  form.quiet_hours.start = "20:00";
  const { value } = F.fromForm("marketing", form);
  assert.equal(value.marketing.next_visit_nudge, true);
  assert.equal(value.marketing.nudge_lead_days, 5);
  assert.equal(value.marketing.birthday_greetings, false);
  assert.equal(value.marketing.birthday_perk, null);
  // A perk in each client's language; one written before there were three is the Finnish one.
  form.marketing.birthday_perk = { fi: "-20 % koodilla SYNTTARIT ", sv: "-20 % med koden SYNTTARIT", en: "" };
  assert.deepEqual(F.fromForm("marketing", form).value.marketing.birthday_perk,
    { fi: "-20 % koodilla SYNTTARIT", sv: "-20 % med koden SYNTTARIT", en: null });
  const old = { ...sections.marketing, marketing: { ...sections.marketing.marketing, birthday_perk: "Kahvi" } };
  assert.deepEqual(F.toForm("marketing", old, sections).marketing.birthday_perk, { fi: "Kahvi", sv: "", en: "" });
  assert.equal(value.quiet_hours.start, "20:00");
  const fb = F.toForm("feedback", sections.feedback, sections, ",");
  assert.equal(fb.delay_hours, "1,5");
  fb.delay_hours = "2,25";
  assert.equal(F.fromForm("feedback", fb).value.delay_hours, 2.25);
});

test("a bound in days is said in the unit she typed; a limit's bound as a percentage", () => {
  const form = F.toForm("retention", sections.retention, sections);
  assert.deepEqual(F.explainAt("retention", "return_window_days", "Input should be greater than or equal to 28", form),
    { key: "err_min_weeks", vars: { n: "4" } });
  assert.deepEqual(F.explainAt("retention", "return_window_days", "Input should be less than or equal to 730", form),
    { key: "err_max_weeks", vars: { n: "104" } });
  assert.deepEqual(F.explainAt("retention", "default_return_days", "Input should be greater than or equal to 1", form),
    { key: "err_min_days", vars: { n: "1" } });
  assert.deepEqual(F.explainAt("retention", "at_risk_below", "Input should be less than 1", form), { key: "err_percent", vars: {} });
  assert.equal(F.explainAt("retention", "_", "Value error, lapsed_below must be at most at_risk_below", form).key, "err_limits_order");
  const m = F.toForm("marketing", sections.marketing, sections);
  assert.deepEqual(F.explainAt("marketing", "marketing.winback_days_between", "Input should be greater than or equal to 1", m),
    { key: "err_min_weeks", vars: { n: "1" } });
  assert.equal(F.explainAt("marketing", "marketing.winback_messages", "Input should be less than or equal to 5", m).key, "err_max");
  assert.equal(F.explainAt("feedback", "_", "Value error, day_start must be before day_end", m).key, "err_day_window");
});

test("switching a span's unit keeps the span: weeks to days exactly, days to the nearest week", () => {
  // The second walkthrough: 26 weeks switched to days silently became 26 days.
  assert.deepEqual(F.switchUnit({ n: "26", unit: "weeks" }, "days"), { n: "182", unit: "days" });
  assert.deepEqual(F.switchUnit({ n: "182", unit: "days" }, "weeks"), { n: "26", unit: "weeks" });
  assert.deepEqual(F.switchUnit({ n: "10", unit: "days" }, "weeks"), { n: "1", unit: "weeks" });
  assert.deepEqual(F.switchUnit({ n: "abc", unit: "days" }, "weeks"), { n: "abc", unit: "weeks" });
  assert.deepEqual(F.switchUnit({ n: "4", unit: "weeks" }, "weeks"), { n: "4", unit: "weeks" });
  assert.equal(F.daysFromForm(F.switchUnit({ n: "26", unit: "weeks" }, "days")), 182);
  assert.deepEqual(F.switchUnit({ n: "3", unit: "days" }, "weeks"), { n: "1", unit: "weeks" }); // never 0: no cap at all
});

test("a number she typed keeps its meaning in the unit she picks after it", () => {
  // The third walkthrough: "10 päivää", she types 3 and picks weeks: it read 0 weeks and
  // saved min_days_between 0 (no cap); 10 typed in weeks, then days, saved 70.
  const m = F.toForm("marketing", { ...sections.marketing, marketing: { ...sections.marketing.marketing, min_days_between: 10 } }, sections);
  const cap = m.marketing.min_days_between;
  assert.deepEqual(cap, { n: "10", unit: "days" });
  Object.assign(cap, { n: "3", typed: true }); // what the input does
  Object.assign(cap, F.switchUnit(cap, "weeks"));
  assert.equal(cap.n, "3");
  assert.equal(F.fromForm("marketing", m).value.marketing.min_days_between, 21);
  const back = F.switchUnit({ n: "10", unit: "weeks", typed: true }, "days");
  assert.equal(back.n, "10");
  assert.equal(F.daysFromForm(back), 10);
});

test("what a service has that its form does not edit is listed for her to see", () => {
  const [cut, colour] = sections.services;
  assert.deepEqual(F.keptFacts(cut), []);
  // The deposit is edited on the card now: not among what the business file keeps.
  assert.deepEqual(F.keptFacts(colour), [["set_kept_price_max", { cents: 16900 }], ["set_kept_vat", { percent: 14 }]]);
});

test("a service's payment is edited on its card: each choice round-trips, the deposit in euros or percent", () => {
  const form = F.toForm("services", sections.services, sections, ",");
  assert.deepEqual([form[0].pay, form[1].pay, form[1].deposit_percent], ["", "deposit_percent", "30"]);
  const policy = (kind, cents = null, percent = null) => ({ kind, deposit_cents: cents, deposit_percent: percent });
  for (const p of [null, policy("none"), policy("deposit", 2050), policy("deposit", null, 40), policy("prepay"), policy("card_on_file")]) {
    const f = F.toForm("services", [{ ...sections.services[0], payment: p }], sections, ",");
    const { value, errors } = F.fromForm("services", f);
    assert.deepEqual(errors, {});
    assert.deepEqual(value[0].payment, p);
  }
  assert.equal(F.toForm("services", [{ ...sections.services[0], payment: policy("deposit", 2050) }], sections, ".")[0].deposit, "20.50");
  // She switches the women's cut to a fixed deposit and types euros; the colour to the whole price.
  Object.assign(form[0], { pay: "deposit_amount", deposit: "15,50 €" });
  form[1].pay = "prepay";
  let { value, errors } = F.fromForm("services", form);
  assert.deepEqual(errors, {});
  assert.deepEqual(value[0].payment, policy("deposit", 1550));
  assert.deepEqual(value[1].payment, policy("prepay")); // the 30 % she had no longer sent
  // What cannot be read is hers to fix at the deposit's box, keyed like the API.
  form[0].deposit = "paljon";
  Object.assign(form[1], { pay: "deposit_percent", deposit_percent: "" });
  ({ errors } = F.fromForm("services", form));
  assert.deepEqual(errors, { "0.payment.deposit_cents": "amount", "1.payment.deposit_percent": "required" });
  assert.equal(F.targetFor("0.payment.deposit_cents", ["0", "0.payment", "0.payment.kind"]), "0.payment");
  // The server's words at that box: a deposit above the price, bounds of an amount as money.
  assert.equal(F.explainAt("services", "0.payment", "Value error, the deposit may be at most the price", form).key, "err_deposit_above_price");
  assert.deepEqual(F.explainAt("services", "0.payment.deposit_cents", "Input should be greater than or equal to 1", form),
    { key: "err_min_amount", vars: { cents: 1 } });
  assert.deepEqual(F.explainAt("services", "1.payment.deposit_percent", "Input should be less than or equal to 100", form),
    { key: "err_max", vars: { n: "100" } });
  assert.equal(F.explainAt("services", "0.payment.deposit_cents", "amount", form).key, "err_amount");
  assert.equal(F.blank("services").pay, ""); // a new service: the business's policy
});

// The business's own payment policy (the "policy" section, payments.policy): settings said
// it in each service's first choice ("Yrityksen yleinen käytäntö: ennakkomaksu 20 %") but
// had no box to change it. Its card offers the services' choices but the first.
test("the business's payment policy is edited on its own card: each choice round-trips, errors at its box", () => {
  const policy = (kind, cents = null, percent = null) => ({ kind, deposit_cents: cents, deposit_percent: percent });
  assert.deepEqual(F.toForm("policy", sections.policy, sections, ","), { pay: "deposit_percent", deposit_percent: "20", deposit: "" });
  for (const p of [policy("none"), policy("deposit", 2050), policy("deposit", null, 40), policy("prepay"), policy("card_on_file")]) {
    const { value, errors } = F.fromForm("policy", F.toForm("policy", p, sections, ","));
    assert.deepEqual(errors, {});
    assert.deepEqual(value, p);
  }
  assert.deepEqual(F.POLICY_CHOICES, ["none", "deposit_percent", "deposit_amount", "prepay", "card_on_file"]);
  // She changes 20 % to a fixed 15,50 €: the percentage she had is not sent with it.
  const form = F.toForm("policy", sections.policy, sections, ",");
  Object.assign(form, { pay: "deposit_amount", deposit: "15,50 €" });
  assert.deepEqual(F.fromForm("policy", form), { value: policy("deposit", 1550), errors: {} });
  // What cannot be read is an error at the deposit's box, keyed as the API keys it.
  form.deposit = "paljon";
  assert.deepEqual(F.fromForm("policy", form).errors, { deposit_cents: "amount" });
  Object.assign(form, { pay: "deposit_percent", deposit_percent: "" });
  assert.deepEqual(F.fromForm("policy", form).errors, { deposit_percent: "required" });
  // The server's bounds in her words at that box: a percentage as a number, an amount as money.
  assert.deepEqual(F.explainAt("policy", "deposit_percent", "Input should be less than or equal to 100", form), { key: "err_max", vars: { n: "100" } });
  assert.deepEqual(F.explainAt("policy", "deposit_cents", "Input should be less than or equal to 1000000", form),
    { key: "err_max_amount", vars: { cents: 1000000 } });
});

test("cancellation terms: whole numbers as typed, and under each box what the client reads of it", () => {
  const form = F.toForm("terms", sections.terms);
  assert.deepEqual(form, { free_until_hours: "24", late_cancel_fee_percent: "50", no_show_fee_percent: "100" });
  // The cards right after the services' payments: the business's own policy, then the terms.
  assert.deepEqual(F.SECTIONS.slice(F.SECTIONS.indexOf("services") + 1, F.SECTIONS.indexOf("services") + 3), ["policy", "terms"]);
  assert.deepEqual(F.termsTold(form), {
    free_until_hours: { key: "set_terms_told_free", vars: { n: 24 }, counted: true },
    late_cancel_fee_percent: { key: "set_terms_told_late", vars: { percent: 50 } },
    no_show_fee_percent: { key: "set_terms_told_no_show", vars: { percent: 100 } },
  });
  // No fee, free until the start: said so, not "0 %".
  const none = { free_until_hours: "0", late_cancel_fee_percent: "0", no_show_fee_percent: " 0 " };
  assert.deepEqual(Object.values(F.termsTold(none)).map((w) => w.key),
    ["set_terms_told_free_start", "set_terms_told_late_none", "set_terms_told_no_show_none"]);
  // What is no whole number in range is not read out as a term: the box's plain hint, and it
  // goes to the server as read ("12,5" is 12.5), which names it at its field (a 422).
  const bad = { free_until_hours: "400", late_cancel_fee_percent: "12,5", no_show_fee_percent: "" };
  assert.deepEqual(Object.values(F.termsTold(bad)).map((w) => w.key),
    ["set_terms_free_hint", "set_terms_percent_hint", "set_terms_percent_hint"]);
  assert.deepEqual(F.fromForm("terms", bad), { value: { free_until_hours: 400, late_cancel_fee_percent: 12.5, no_show_fee_percent: "" }, errors: {} });
  assert.deepEqual(F.explainAt("terms", "late_cancel_fee_percent", "Input should be a valid integer, unable to parse string as an integer", form),
    { key: "err_number", vars: {} });
  assert.deepEqual(F.explainAt("terms", "free_until_hours", "Input should be less than or equal to 336", form), { key: "err_max", vars: { n: "336" } });
  // Every word it names is in every language (a count with its plural forms).
  const keys = [...Object.values(F.termsTold(form)), ...Object.values(F.termsTold(none)), ...Object.values(F.termsTold(bad))]
    .flatMap((w) => (w.counted ? [`${w.key}_one`, `${w.key}_other`] : [w.key]));
  for (const l of ["fi", "sv", "en"]) {
    const words = JSON.parse(readFileSync(new URL(`../../chalicelib/strings/${l}.json`, import.meta.url), "utf8")).dashboard;
    assert.deepEqual(keys.filter((k) => !words[k]), [], l);
  }
});

test("an empty name of a staff member or a service is said as a name needed at its field", () => {
  const said = "String should have at least 1 character";
  assert.deepEqual(F.explainAt("staff", "0.name", said, []), { key: "f_name_needed", vars: {} });
  assert.deepEqual(F.explainAt("services", "2.name.fi", said, []), { key: "f_name_needed", vars: {} });
  // Another empty field keeps its own words.
  assert.deepEqual(F.explainAt("messages", "sender_name", said, {}), { key: "err_required", vars: {} });
});

test("a closed day is said with its weekday in the dashboard's language, not as a bare date", async () => {
  const i18n = await import("../../chalicelib/static/dashboard/i18n.js");
  const said = { fi: "torstai 24.12.2026", sv: "torsdag 24.12.2026", en: "Thursday 24 Dec 2026" };
  for (const [l, words] of Object.entries(said)) {
    i18n.setLang(l);
    assert.equal(F.closedDayText("2026-12-24"), words);
  }
  i18n.setLang("fi");
  assert.equal(F.closedDayText(""), ""); // a new closed day not chosen yet
  assert.equal(F.closedDayText("2026-02-30"), "");
});

test("a closed day's name: typed beside its date, trimmed, an empty box none; a bare date of before reads as unnamed", () => {
  const form = F.toForm("closures", [{ date: "2026-06-19", name: "Juhannus" }, "2026-12-24"]);
  assert.deepEqual(form, [{ date: "2026-06-19", name: "Juhannus" }, { date: "2026-12-24", name: "" }]);
  form.push({ ...F.blank("closures"), date: "2027-02-01", name: "  Koulutuspäivä " });
  form[0].name = " ";
  assert.deepEqual(F.fromForm("closures", form).value, [
    { date: "2026-06-19", name: null }, { date: "2026-12-24", name: null }, { date: "2027-02-01", name: "Koulutuspäivä" }]);
});

test("a closed day's bad name is said in her language at its box", async () => {
  const i18n = await import("../../chalicelib/static/dashboard/i18n.js");
  const { readFileSync } = await import("node:fs");
  const dir = new URL("../../chalicelib/strings/", import.meta.url);
  const said = {
    fi: ["Kirjoita yhdelle riville, ilman sarkaimia tai muita ohjausmerkkejä.", "24.12.2026 on listalla kahdesti eri nimillä.", "Poista näkymättömät merkit ja tekstin suuntaa kääntävät merkit."],
    sv: ["Skriv på en rad, utan tabbar eller andra styrtecken.", "24.12.2026 finns två gånger med olika namn.", "Ta bort osynliga tecken och tecken som vänder textens riktning."],
    en: ["Write it on one line, without tabs or other control characters.", "24 Dec 2026 is listed twice with different names.", "Remove the invisible characters and those that turn the text's direction."],
  };
  for (const [l, [oneLine, twice, invisible]] of Object.entries(said)) {
    i18n.setCatalogue(l, JSON.parse(readFileSync(new URL(`${l}.json`, dir), "utf8")));
    i18n.setLang(l);
    const line = F.explainAt("closures", "0.name", "a closed day's name is one line without control characters", []);
    assert.equal(i18n.t(line.key, line.vars), oneLine);
    const hidden = F.explainAt("closures", "0.name", "a closed day's name must not hold invisible or text-direction characters", []);
    assert.equal(i18n.t(hidden.key, hidden.vars), invisible);
    const dup = F.explainAt("closures", "_", "2026-12-24 is listed twice with different names", []);
    assert.equal(i18n.t(dup.key, dup.vars), twice);
  }
  assert.deepEqual(F.explainAt("closures", "0.name", "String should have at most 40 characters", []), { key: "err_too_long", vars: { n: "40" } });
  i18n.setLang("fi");
});

test("a staff member's photo from the salon's images is said under her empty Photo URL box, and kept on save", () => {
  const form = F.toForm("staff", sections.staff);
  assert.equal(form[0].photo_url, ""); // Aino's box is empty: her photo is an image of the salon's set
  assert.deepEqual(F.photoSource(form[0]), { key: "set_photo_from_set", vars: { image: "demo-aino" } });
  assert.equal(F.photoSource(form[1]), null); // Mikko's URL is in his box
  const { value } = F.fromForm("staff", form);
  assert.equal(value[0].photo, "demo-aino");
  assert.equal(value[1].photo_url, "https://x.example/m.jpg");
});

test("the two cancellation deadlines: each card says the other's value; a free deadline later than the online one is hinted", async () => {
  const i18n = await import("../../chalicelib/static/dashboard/i18n.js");
  const file = (l) => JSON.parse(readFileSync(new URL(`../../chalicelib/strings/${l}.json`, import.meta.url), "utf8"));
  const catalogue = (l) => file(l).dashboard;
  for (const l of ["fi", "sv", "en"]) i18n.setCatalogue(l, file(l));
  // The tester's salon: free until 48 h (terms), online changes until 24 h (booking rules).
  const told = F.deadlinesTold({ free_until_hours: "48" }, { cancellation_window_hours: "24" });
  assert.deepEqual(told, {
    terms: { key: "set_terms_online_is", vars: { n: 24 } },
    rules: { key: "set_rules_free_is", vars: { n: 48 } },
    hint: null,
  });
  i18n.setLang("en");
  assert.equal(i18n.t(told.terms.key, told.terms.vars),
    "Not the online deadline: clients can cancel or move online themselves until 24 h before (Booking rules → Cancellation window), after that they call you.");
  assert.equal(i18n.t(told.rules.key, told.rules.vars),
    "How long before the time clients can cancel or move online themselves. Not the fee deadline: free cancellation (Cancellation terms) ends 48 h before.");
  // Free until 12 h, online until 24 h: every online cancellation is free.
  const never = F.deadlinesTold({ free_until_hours: " 12 " }, { cancellation_window_hours: "24" }).hint;
  assert.deepEqual(never, { key: "set_terms_never_late_online", vars: { free: 12, online: 24 } });
  i18n.setLang("fi");
  assert.match(i18n.t(never.key, never.vars), /^Maksuton peruutus kestää 12 h ennen aikaa asti, mutta verkossa muutokset päättyvät jo 24 h ennen/);
  assert.equal(F.deadlinesTold({ free_until_hours: "24" }, { cancellation_window_hours: "24" }).hint, null); // the same: nothing to hint
  // A box without a whole number says nothing of it (the server names it on save); no form, no line.
  assert.deepEqual(F.deadlinesTold({ free_until_hours: "12,5" }, undefined), { terms: null, rules: null, hint: null });
  // Every key in every language, with its values' places.
  for (const l of ["fi", "sv", "en"]) {
    const words = catalogue(l);
    assert.match(words.set_terms_online_is, /\{n\}/, l);
    assert.match(words.set_rules_free_is, /\{n\}/, l);
    assert.match(words.set_terms_never_late_online, /\{free\}.*\{online\}/, l);
  }
});

test("a service's first payment choice names the business's own policy, in every language", async () => {
  const i18n = await import("../../chalicelib/static/dashboard/i18n.js");
  const { readFileSync } = await import("node:fs");
  const dir = new URL("../../chalicelib/strings/", import.meta.url);
  const policies = [
    { kind: "none", deposit_cents: null, deposit_percent: null },
    { kind: "deposit", deposit_cents: null, deposit_percent: 20 },
    { kind: "deposit", deposit_cents: 1500, deposit_percent: null },
    { kind: "prepay", deposit_cents: null, deposit_percent: null },
    { kind: "card_on_file", deposit_cents: null, deposit_percent: null },
  ];
  const said = {
    fi: ["Yrityksen yleinen käytäntö: ei maksua", "Yrityksen yleinen käytäntö: ennakkomaksu 20\u00a0%",
      "Yrityksen yleinen käytäntö: ennakkomaksu 15,00\u00a0€", "Yrityksen yleinen käytäntö: koko hinta varattaessa",
      "Yrityksen yleinen käytäntö: kortti talteen"],
    sv: ["Företagets allmänna regel: ingen betalning", "Företagets allmänna regel: handpenning 20\u00a0%",
      "Företagets allmänna regel: handpenning 15,00\u00a0€", "Företagets allmänna regel: hela priset vid bokningen",
      "Företagets allmänna regel: kortet sparas"],
    en: ["The business's general policy: no payment", "The business's general policy: a 20% deposit",
      "The business's general policy: a deposit of €15.00", "The business's general policy: the full price when booking",
      "The business's general policy: card saved"],
  };
  for (const [l, texts] of Object.entries(said)) {
    i18n.setCatalogue(l, JSON.parse(readFileSync(new URL(`${l}.json`, dir), "utf8")));
    i18n.setLang(l);
    assert.deepEqual(policies.map((p) => F.defaultPayText(p, "EUR")), texts, l);
  }
  // Not known (GET /business not answered): the plain words, no half sentence.
  i18n.setLang("fi");
  assert.equal(F.defaultPayText(null), "Yrityksen yleinen käytäntö");
});

test("a 422 naming a required field the page did not send says the page is out of date", () => {
  // A deploy added rules.max_per_day and a service's deposit_refund after the page loaded:
  // the page never had a box for them, so she cannot fix them here; a reload can.
  const rules = F.fromForm("rules", F.toForm("rules", sections.rules, sections)).value;
  const fields = { max_per_day: "required", max_horizon_days: "Input should be greater than 0" };
  assert.deepEqual(F.unknownRequired(fields, rules), ["max_per_day"]);
  const services = F.fromForm("services", F.toForm("services", sections.services, sections)).value;
  assert.deepEqual(F.unknownRequired({ "1.payment.deposit_refund": "Field required", "0.name.fi": "required" }, services),
    ["1.payment.deposit_refund"]);
  // What the page sent and the server still asks for is hers to fix (a box shows it); an
  // error about the section as a whole, or another error, is not about the page's age.
  assert.deepEqual(F.unknownRequired({ min_notice_minutes: "required", _: "required" }, rules), []);
  assert.deepEqual(F.unknownRequired({}, rules), []);
  assert.deepEqual(F.unknownRequired({ "2.name": "required" }, services), ["2.name"]); // an item she did not send either
});

test("the page-out-of-date words and the reload button are in every language", () => {
  for (const lang of ["fi", "sv", "en"]) {
    const words = JSON.parse(readFileSync(new URL(`../../chalicelib/strings/${lang}.json`, import.meta.url)));
    assert.ok(words.dashboard.set_page_outdated && words.dashboard.set_reload_page, lang);
  }
  const page = readFileSync(new URL("../../chalicelib/static/dashboard/settings.js", import.meta.url), "utf8");
  assert.match(page, /F\.unknownRequired\(fields, value\)/);
});

test("the status line after a save: a save that did not go through replaces the earlier 'Saved', in one short line", async () => {
  const i18n = await import("../../chalicelib/static/dashboard/i18n.js");
  const file = (l) => JSON.parse(readFileSync(new URL(`../../chalicelib/strings/${l}.json`, import.meta.url), "utf8"));
  for (const l of ["fi", "sv", "en"]) i18n.setCatalogue(l, file(l));
  const line = (outcome, l) => {
    i18n.setLang(l);
    const w = F.saveLine(outcome, i18n.t("set_policy"));
    return [i18n.t(w.key, w.vars), w.bad];
  };
  // The reviewer's walk: saved (15 €), then "abc" or 120 % refused.
  assert.deepEqual(line("saved", "en"), ["Saved: The business's general payment policy", false]);
  for (const outcome of ["invalid", "failed"]) {
    assert.deepEqual(line(outcome, "en"), ["Not saved: The business's general payment policy", true]);
    assert.deepEqual(line(outcome, "fi"), ["Ei tallennettu: Yrityksen yleinen maksukäytäntö", true]);
    assert.deepEqual(line(outcome, "sv"), ["Inte sparat: Företagets allmänna betalningsregel", true]);
  }
  // Out of date: said briefly (the card says the whole of it, with its reload button).
  const [outdated, bad] = line("outdated", "en");
  assert.ok(bad && outdated.startsWith("Not saved: The business's general payment policy") && outdated.length < 100, outdated);
  assert.equal(line("changed_elsewhere", "fi")[1], true);
  assert.deepEqual(line("unchanged", "fi"), ["Ei muutoksia tallennettavaksi.", false]);
  i18n.setLang("fi");
});

test("a percentage or an amount typed with a decimal comma is read as she meant it: 12,5 % is 12.5 (not a whole number), never 125", () => {
  // The business's policy: a deposit of "12,5" % goes as 12.5, which the API refuses as not
  // a whole number ("Write a whole number."), not as 125 ("At most 100.").
  const percent = F.fromForm("policy", { ...F.toForm("policy", sections.policy), deposit_percent: "12,5" });
  assert.deepEqual(percent, { value: { kind: "deposit", deposit_cents: null, deposit_percent: 12.5 }, errors: {} });
  assert.deepEqual(F.explainAt("policy", "deposit_percent", "Input should be a valid integer, got a number with a fractional part", {}),
    { key: "err_number", vars: {} });
  assert.equal(F.fromForm("policy", { pay: "deposit_percent", deposit_percent: " 20 % ", deposit: "" }).value.deposit_percent, 20);
  // A service's own deposit the same; its fixed deposit and its price in euros with a comma.
  const form = F.toForm("services", sections.services, sections);
  Object.assign(form[0], { pay: "deposit_percent", deposit_percent: "12,5", price: "69,50 €" });
  Object.assign(form[1], { pay: "deposit_amount", deposit: "15,50" });
  const { value, errors } = F.fromForm("services", form);
  assert.deepEqual(errors, {});
  assert.equal(value[0].payment.deposit_percent, 12.5);
  assert.equal(value[0].price_cents, 6950);
  assert.deepEqual(value[1].payment, { kind: "deposit", deposit_cents: 1550, deposit_percent: null });
  assert.deepEqual(F.fromForm("policy", { pay: "deposit_amount", deposit: "15,555", deposit_percent: "" }).errors, { deposit_cents: "amount" });
  // The other decimal boxes read the comma as before: a limit in %, the feedback's delay in hours.
  assert.equal(F.percentFromForm("72,5 %"), 0.725);
  assert.equal(F.decimalOrRaw("1,5"), 1.5);
  assert.equal(F.intOrRaw("abc"), "abc");
});

test("the payment choices fit a 360 px select, and what each means is said in full under it", () => {
  const file = (l) => JSON.parse(readFileSync(new URL(`../../chalicelib/strings/${l}.json`, import.meta.url), "utf8"));
  for (const l of ["fi", "sv", "en"]) {
    const words = file(l).dashboard;
    for (const v of F.POLICY_CHOICES) assert.ok(words[F.PAY_HINTS[v]], `${l}: ${v}`);
    // About 30 characters show in the select at 360 px ("Deposit, a percentage of the pr").
    for (const k of ["set_pay_none", "set_pay_deposit_percent", "set_pay_deposit_amount", "set_pay_prepay", "set_pay_card"]) {
      assert.ok(words[k].length <= 28, `${l} ${k}: "${words[k]}" is cut in the select at 360 px`);
    }
  }
});

test("the policy's fixed deposit at or above a service's price is said: those services are paid in full when booked", async () => {
  const i18n = await import("../../chalicelib/static/dashboard/i18n.js");
  const file = (l) => JSON.parse(readFileSync(new URL(`../../chalicelib/strings/${l}.json`, import.meta.url), "utf8"));
  for (const l of ["fi", "sv", "en"]) i18n.setCatalogue(l, file(l));
  // Naisten leikkaus (69,50 €) follows the policy; Värjäys (129 €) has its own 30 % deposit.
  assert.deepEqual(F.depositCoversPrice("500", sections.services), [sections.services[0].name]);
  assert.deepEqual(F.depositCoversPrice("69,50", sections.services), [sections.services[0].name]);
  assert.deepEqual(F.depositCoversPrice("69,49", sections.services), []);
  assert.deepEqual(F.depositCoversPrice("15", sections.services), []);
  assert.deepEqual(F.depositCoversPrice("abc", sections.services), []);
  i18n.setLang("en");
  assert.equal(i18n.t("set_deposit_whole_price", { services: "Women's cut" }), "At least the price of Women's cut: those are paid in full when booked.");
  i18n.setLang("fi");
});

test("a service nobody does is named by its name, a new one's too, not by its id", () => {
  const form = [
    { id: "womens-cut", name: { fi: "Naisten hiustenleikkaus", sv: "", en: "" } },
    { id: null, name: { fi: "Pesu & hoito (pitkät hiukset)", sv: "", en: "" } },
  ];
  assert.deepEqual(F.explainAt("services", "_", "no staff member offers: womens-cut, pesu-hoito-pitkat-hiukset", form),
    { key: "err_unserved", vars: { ids: "Naisten hiustenleikkaus, Pesu & hoito (pitkät hiukset)" } });
});

test("the stamp card and referrals: on/off, stamps, a perk in percent or euros with a decimal comma, validity or none", () => {
  const form = F.toForm("loyalty", sections.loyalty, sections);
  assert.equal(form.loyalty.enabled, true);
  assert.equal(form.loyalty.stamps_for_reward, "10");
  assert.deepEqual(form.loyalty.reward_valid_days, { n: "365", unit: "days" });
  assert.deepEqual(form.referrals.reward_valid_days, { n: "", unit: "days" }); // never runs out
  assert.deepEqual(form.referrals.referrer_reward, { kind: "amount", percent: "", amount: "15,50", description: { fi: "", sv: "", en: "" } });
  assert.equal(F.toForm("loyalty", sections.loyalty, sections, ".").referrals.referrer_reward.amount, "15.50");
  // The owner's card: 8 stamps, -30 %, valid 12 weeks; referrals on, the friend 12,5 € off.
  form.loyalty.stamps_for_reward = "8";
  form.loyalty.reward.percent = "30";
  form.loyalty.reward.description = { fi: "", sv: "", en: "" };
  form.loyalty.reward_valid_days = { n: "12", unit: "weeks" };
  form.loyalty.counts_from = " ";
  form.referrals.enabled = true;
  form.referrals.welcome_perk.kind = "amount";
  form.referrals.welcome_perk.amount = "12,5 €";
  form.referrals.reward_valid_days = { n: "90", unit: "days" };
  const { value, errors } = F.fromForm("loyalty", form);
  assert.deepEqual(errors, {});
  assert.deepEqual(value.loyalty, { enabled: true, stamps_for_reward: 8, reward_valid_days: 84, counts_from: null,
    reward: { percent_off: 30, amount_off_cents: null, description: null } });
  assert.deepEqual(value.referrals, { enabled: true, reward_valid_days: 90,
    referrer_reward: { percent_off: null, amount_off_cents: 1550, description: null },
    welcome_perk: { percent_off: null, amount_off_cents: 1250, description: null } });
  // Emptied, the validity is none: the reward never runs out.
  form.loyalty.reward_valid_days = { n: "", unit: "weeks" };
  assert.equal(F.fromForm("loyalty", form).value.loyalty.reward_valid_days, null);
});

test("a perk that cannot be read is refused at its box before anything is sent; the server's bounds said in euros", () => {
  const form = F.toForm("loyalty", sections.loyalty, sections);
  form.loyalty.reward.percent = "";
  form.referrals.referrer_reward.amount = "15,505";
  form.referrals.welcome_perk.kind = "amount"; // switched, no amount typed yet
  const { errors } = F.fromForm("loyalty", form);
  assert.deepEqual(errors, { "loyalty.reward.percent_off": "required", "referrals.referrer_reward.amount_off_cents": "amount",
    "referrals.welcome_perk.amount_off_cents": "required" });
  // "12,5" % is a number the server names (a whole number), never 125.
  form.loyalty.reward.percent = "12,5";
  assert.equal(F.fromForm("loyalty", form).value.loyalty.reward.percent_off, 12.5);
  // Each error lands on the perk's one box (its path), the API's bound in cents said as money.
  assert.equal(F.targetFor("loyalty.reward.percent_off", new Set(["loyalty.reward", "loyalty.enabled"])), "loyalty.reward");
  assert.deepEqual(F.explainAt("loyalty", "referrals.welcome_perk.amount_off_cents", "Input should be greater than or equal to 1", form),
    { key: "err_min_amount", vars: { cents: 1 } });
  assert.equal(F.explain("Value error, give exactly one of percent_off or amount_off_cents").key, "err_perk_one");
  // A validity typed in weeks has its bound said in weeks.
  form.loyalty.reward_valid_days = { n: "0", unit: "weeks" };
  assert.deepEqual(F.explainAt("loyalty", "loyalty.reward_valid_days", "Input should be greater than or equal to 7", form),
    { key: "err_min_weeks", vars: { n: "1" } });
});

test("what the client reads of a perk follows the owner's typing, and her own words naming another amount are told", () => {
  const form = F.toForm("loyalty", sections.loyalty, sections);
  const reward = form.loyalty.reward;
  assert.deepEqual(F.perkTold(reward, "fi"), { key: "set_perk_told", vars: { perk: "-50 % seuraavasta käynnistä" } });
  assert.deepEqual(F.perkTold(reward, "sv"), { key: "set_perk_told", vars: { perk: "50% off your next visit" } }); // no Swedish: the English
  assert.deepEqual(F.perkWordsDiffer(reward), []);
  reward.percent = "30";
  assert.deepEqual(F.perkWordsDiffer(reward), ["fi", "en"]);
  reward.description = { fi: "", sv: "", en: "" };
  assert.deepEqual(F.perkTold(reward, "fi"), { key: "set_perk_told", vars: { perk: "-30 %" } });
  assert.deepEqual(F.perkTold(reward, "en"), { key: "set_perk_told", vars: { perk: "-30%" } });
  reward.percent = "130";
  assert.equal(F.perkTold(reward, "fi").key, "set_perk_percent_hint");
  const friend = { kind: "amount", percent: "", amount: "15,5", description: { fi: "-15,50 € ensikäynnistä", sv: "", en: "" } };
  assert.deepEqual(F.perkWordsDiffer(friend), []);
  friend.amount = "10";
  assert.deepEqual(F.perkWordsDiffer(friend), ["fi"]);
  friend.description.fi = "";
  assert.equal(F.perkTold(friend, "fi").key, "set_perk_told");
  assert.match(F.perkTold(friend, "fi").vars.perk, /^-10,00\s€$/);
});
