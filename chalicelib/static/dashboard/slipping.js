// **Pure**: the at-risk list's order (GET /retention?order=…, docs/owner-api.md): the most
// value at stake first (the API's default, issue 22: what losing her would cost, her
// typical spend × the chance she does not come back), or who slipped most recently first
// (the day she turned at risk or lapsed, newest first). The owner's choice is remembered
// on the device (main.js keeps the language alike). Each row says her value at stake.
import { money, number, plural, t } from "./i18n.js";

export const ORDERS = ["value", "recent"];
export const ORDER_KEY = "rebook.dashboard.slippingOrder";

// A stored or chosen order as the list uses it: one it knows, else the default.
export function orderOf(value) {
  return ORDERS.includes(value) ? value : ORDERS[0];
}

// The list's request: the default asks for no order, as before.
export function retentionPath(order) {
  const o = orderOf(order);
  return o === ORDERS[0] ? "/retention" : `/retention?order=${o}`;
}

// Her value at stake as her row says it, in whole money: "Menetys n. 69 €" (the API's
// value_at_risk_cents, the list's default order); "" when the API gave none.
export function atStake(client, currency) {
  const cents = client && client.value_at_risk_cents;
  return typeof cents === "number" ? t("slipping_at_stake", { amount: money(cents, currency, true) }) : "";
}

// The list draws its rows a page at a time: a salon with years of clients has hundreds
// slipping (GET /retention gives up to 500), each row with three buttons, too many to
// build at once on a phone. The one place for the page's size.
export const PAGE_SIZE = 50;

// Of `total` rows (the filter's), with `open` of them opened (PAGE_SIZE at first, a page
// more at each "show more"): how many are drawn, how many are left, and how many the
// next press draws.
export function pageOf(total, open) {
  const drawn = Math.min(total, Math.max(Number(open) || 0, PAGE_SIZE));
  const left = total - drawn;
  return { drawn, left, next: Math.min(PAGE_SIZE, left) };
}

// The button under the drawn rows, in words: how many its press shows and how many are
// left ("Näytä 50 lisää (65 jäljellä)").
export function moreText(page) {
  return plural("slipping_more", page.left, { next: number(page.next, 0) });
}
