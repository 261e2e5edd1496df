// The appointment card's status line after the desk acted (chalicelib/static/dashboard/cardwords.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as i18n from "../../chalicelib/static/dashboard/i18n.js";
import * as W from "../../chalicelib/static/dashboard/cardwords.js";

const dir = new URL("../../chalicelib/strings/", import.meta.url);
const load = (l) => JSON.parse(readFileSync(new URL(`${l}.json`, dir), "utf8"));
const NB = "\u00a0";

function inEach(fn) {
  try {
    for (const l of ["fi", "sv", "en"]) {
      i18n.setCatalogue(l, load(l));
      i18n.setLang(l);
      fn(l);
    }
  } finally {
    i18n.setLang("fi");
  }
}

const MORNING = "2026-11-26T08:00:00+02:00";
const held = {
  fi: `Tekstiviesti asiakkaalle lähtee klo${NB}8.00, kun hiljainen aika tekstiviesteiltä päättyy.`,
  sv: `Sms:et till kunden skickas kl.${NB}8.00, när den tysta tiden för sms är slut.`,
  en: `The text message to the client will go at${NB}08:00, when the quiet hours for text messages end.`,
};

// A no-show fee or a late fee charged at night: her SMS of it waits for the morning, and
// the owner is told when, as for the desk's cancellation at night.
test("a fee charged at night says when her SMS goes; by day, or by email, nothing more", () => {
  const before = { fees: {} };
  const charged = { status: "no_show", payment: { fees: { no_show: "succeeded" }, fee_cents: { no_show: 11130 } } };
  const opts = { currency: "EUR", mayMoney: true };
  const late = { kind: "late_cancel", state: "succeeded", amount_cents: 1950 };
  inEach((l) => {
    const marked = W.markedText("no_show", "Maija", before, charged, opts);
    assert.equal(W.markedText("no_show", "Maija", before, { ...charged, sms_at: MORNING }, opts), `${marked} ${held[l]}`);
    assert.match(marked, /111[,.]30/);
    const open = { ...charged, payment: { ...charged.payment, fees: { no_show: "open" } } };
    assert.equal(W.markedText("no_show", "Maija", before, { ...open, sms_at: MORNING }, opts),
      `${W.markedText("no_show", "Maija", before, open, opts)} ${held[l]}`);
    const fee = W.chargedText("Liisa", "late_cancel", late, "EUR");
    assert.match(fee, /19[,.]50/);
    assert.ok(!fee.includes(held[l]), fee);
    assert.equal(W.chargedText("Liisa", "late_cancel", { ...late, sms_at: MORNING }, "EUR"), `${fee} ${held[l]}`);
  });
  i18n.setLang("fi");
  assert.equal(W.chargedText("Liisa", "late_cancel", { ...late, sms_at: MORNING }, "EUR"),
    `Liisa: Myöhäisen peruutuksen maksu 19,50${NB}€ veloitettu kortilta. ${held.fi}`);
});

// A fee given back at night (the owner's refund, a no-show undone): her SMS of it waits for
// the morning too, and the owner is told when.
test("a fee given back at night says when her SMS goes; by day nothing more", () => {
  const before = { fees: { no_show: "succeeded" } };
  const undone = { status: "booked", payment: { fees: { no_show: "refunded" }, fee_cents: { no_show: 11130 } } };
  const opts = { currency: "EUR", mayMoney: true };
  const words = { name: "Maija", fee: "x", amount: "111,30 €" };
  inEach((l) => {
    const marked = W.markedText("booked", "Maija", before, undone, opts);
    assert.match(marked, /111[,.]30/);
    assert.ok(!marked.includes(held[l]), marked);
    assert.equal(W.markedText("booked", "Maija", before, { ...undone, sms_at: MORNING }, opts), `${marked} ${held[l]}`);
    const back = W.feeRefundedText(words, { state: "succeeded" });
    assert.ok(!back.includes(held[l]), back);
    assert.equal(W.feeRefundedText(words, { state: "succeeded", sms_at: MORNING }), `${back} ${held[l]}`);
  });
});

// She phoned late and the desk cancelled for her (`by: client`): the status line said only
// "Varaus peruttu: Liisa Puhelin." — not that her deposit is kept and the late fee may
// still be charged. The cancel answer's own `payment` says both.
test("a late cancellation of hers says the deposit kept and the late fee that may be charged", () => {
  const payment = { mark: "paid", kind: "deposit", paid_cents: 1500, refunded_cents: 0, refund_pending_cents: 0,
    refund_failed_cents: 0, fees: {}, fee_cents: {}, fee_keys: { late_cancel: "late_cancel" }, chargeable_cents: { late_cancel: 1950 } };
  const late = { status: "cancelled", payment };
  const said = {
    fi: `Varaus peruttu: Liisa Puhelin. Ennakkomaksua 15,00${NB}€ ei palauteta. Myöhäisen peruutuksen maksun 19,50${NB}€ voi veloittaa kortilta.`,
    sv: `Bokningen avbokad: Liisa Puhelin. Handpenningen 15,00${NB}€ återbetalas inte. Avgiften för sen avbokning, 19,50${NB}€, kan debiteras från kortet.`,
    en: "Booking cancelled: Liisa Puhelin. The deposit of €15.00 is not refunded. The late-cancellation fee of €19.50 can be charged to the card.",
  };
  inEach((l) => {
    assert.equal(W.cancelledText("Liisa Puhelin", late, 0, "EUR"), said[l]);
    // In time: the deposit on its way back, no fee: the plain words.
    const inTime = { status: "cancelled", payment: { ...payment, refund_pending_cents: 1500, chargeable_cents: {} } };
    assert.equal(W.cancelledText("Liisa Puhelin", inTime, 0, "EUR"), i18n.t("cancelled_done", { name: "Liisa Puhelin" }));
    // A card on file only: the fee alone; nothing paid at all: the plain words.
    const card = { ...payment, kind: "card_on_file", paid_cents: 0, chargeable_cents: { late_cancel: 6450 } };
    assert.match(W.cancelledText("Liisa Puhelin", { status: "cancelled", payment: card }, 0, "EUR"), /64[,.]50/);
    assert.equal(W.cancelledText("Liisa", { status: "cancelled" }, 0, "EUR"), i18n.t("cancelled_done", { name: "Liisa" }));
    // The salon's cancellation at night, its SMS held: said after the money.
    const night = { ...late, sms_at: MORNING };
    assert.equal(W.cancelledText("Liisa Puhelin", night, 0, "EUR"), `${said[l]} ${held[l]}`);
  });
});

test("a deposit the salon's cancellation owes back is said to be the owner's to refund, not kept", () => {
  // A staff member's walk: "Ennakkomaksua 47,70 € ei palauteta" where her client was told
  // the salon gives it back, and the owner's refunds to make listed it.
  const owed = { status: "cancelled", payment: { kind: "deposit", paid_cents: 4770, refunded_cents: 0, mark: "refund_due", fees: {}, fee_cents: {}, chargeable_cents: {} } };
  const said = {
    fi: `Varaus peruttu: Iida Ilola. Ennakkomaksu 47,70${NB}€: ei jää salongille – omistaja palauttaa sen.`,
    sv: `Bokningen avbokad: Iida Ilola. Handpenning 47,70${NB}€: behålls inte – ägaren återbetalar den.`,
    en: "Booking cancelled: Iida Ilola. Deposit €47.70: not kept – the owner refunds it.",
  };
  inEach((l) => {
    assert.equal(W.cancelledText("Iida Ilola", owed, 0, "EUR"), said[l]);
  });
});

// Undoing a no-show after the visit ended leaves it completed (the after-visit rule): said
// so, not "booked again" beside a "completed" tag.
test("an undo the API answers with completed says completed, one answered booked says booked", () => {
  const opts = { currency: "EUR", mayMoney: true };
  inEach((l) => {
    const done = W.markedText("booked", "Emma", { fees: {} }, { status: "completed", payment: null }, opts);
    const back = W.markedText("booked", "Emma", { fees: {} }, { status: "booked", payment: null }, opts);
    assert.notEqual(done, back);
    assert.match(done, { fi: /valmiiksi/, sv: /klar/, en: /completed/ }[l]);
    assert.match(back, { fi: /varattuna/, sv: /bokad/, en: /booked/ }[l]);
  });
});

// Done early or a no-show: the API's answer says until when the visit still holds its
// staff member, and the line says from when she is free (a walk-in may take her).
test("a visit done early says from when its staff member is free", () => {
  const answer = { status: "completed", staff: { id: "aino", name: "Aino" }, held_until: "2026-11-23T10:40:00+02:00" };
  const words = { fi: `Maija: käynti valmis. Aino on vapaa klo${NB}10.40 alkaen.`, sv: `Aino är ledig från kl.${NB}10.40.`, en: `Aino is free from${NB}10:40.` };
  inEach((l) => {
    const text = W.markedText("completed", "Maija", null, answer, { currency: "EUR", mayMoney: true });
    assert.ok(text.endsWith(words[l].replace(/^Maija: käynti valmis\. /, "")), text);
    if (l === "fi") assert.equal(text, words.fi);
    // Nothing freed (her time was booked to its end): no word of it.
    assert.ok(!W.markedText("completed", "Maija", null, { ...answer, held_until: undefined }, { currency: "EUR" }).includes("Aino"));
  });
});

// Asked to tell her, with a contact to tell her by: the line says she hears of it; with
// no contact, or not asked, it does not.
test("a cancellation says the client is told when she is", () => {
  inEach(() => {
    const answer = { status: "cancelled", client: { name: "Sanna", phone: "+358401234567", email: null } };
    const done = i18n.t("cancelled_done", { name: "Sanna" });
    assert.equal(W.cancelledText("Sanna", answer, 0, "EUR", true), `${done} ${i18n.t("cancelled_told")}`);
    assert.equal(W.cancelledText("Sanna", answer, 0, "EUR", false), done);
    assert.equal(W.cancelledText("Sanna", { ...answer, client: { name: "Sanna" } }, 0, "EUR", true), done);
  });
});

test("an undo on one marked arrived says she is arrived again", () => {
  inEach(() => {
    const text = W.markedText("booked", "Liisa", null, { status: "arrived" }, { currency: "EUR" });
    assert.equal(text, i18n.t("marked_undone_arrived", { name: "Liisa" }));
    assert.equal(W.markedText("booked", "Liisa", null, { status: "booked" }, { currency: "EUR" }), i18n.t("marked_booked", { name: "Liisa" }));
  });
});

// A walk: the desk's cancel form said what her cancellation did with her money only after
// the owner confirmed it. "She cancelled" chosen, it says it first (the API's preview).
test("before the desk confirms her cancellation, it says what comes back, what is kept and the fee", () => {
  const late = { if_client_cancels: { kind: "deposit", paid_cents: 4770, back_cents: 0, earlier_cents: 0, fee_cents: 3180 } };
  const said = {
    fi: `Ennakkomaksua 47,70${NB}€ ei palauteta. Myöhäisen peruutuksen maksun 31,80${NB}€ voi veloittaa kortilta.`,
    sv: `Handpenningen 47,70${NB}€ återbetalas inte. Avgiften för sen avbokning, 31,80${NB}€, kan debiteras från kortet.`,
    en: "The deposit of €47.70 is not refunded. The late-cancellation fee of €31.80 can be charged to the card.",
  };
  inEach((l) => {
    assert.equal(W.clientCancelText(late, "EUR"), said[l]);
    const inTime = { if_client_cancels: { ...late.if_client_cancels, back_cents: 4770, fee_cents: 0 } };
    assert.match(W.clientCancelText(inTime, "EUR"), /47[,.]70/);
    assert.ok(!W.clientCancelText(inTime, "EUR").includes(said[l].split(".")[0]), l); // not "kept"
    const card = { if_client_cancels: { kind: "card_on_file", paid_cents: 0, back_cents: 0, earlier_cents: 0, fee_cents: 6450 } };
    assert.equal(W.clientCancelText(card, "EUR"), i18n.t("cancelled_late_fee", { amount: l === "en" ? "€64.50" : `64,50${NB}€` }));
    assert.equal(W.clientCancelText({ if_client_cancels: null }, "EUR"), "");
  });
});
