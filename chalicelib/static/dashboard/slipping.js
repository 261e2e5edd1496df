// **Pure**: the at-risk list's order (GET /retention?order=…, docs/owner-api.md): the most
// value at stake first (the API's default, issue 22), or who slipped most recently first
// (the day she turned at risk or lapsed, newest first). The owner's choice is remembered
// on the device (main.js keeps the language alike).
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
