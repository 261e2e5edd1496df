import { test } from "node:test";
import assert from "node:assert/strict";
import { createApi, forgetKey, ifMatch, onceKey, outcomeUnknown, request, routeMissing, saveHeaders, toError, visitHeaders, withoutDefaults } from "../../chalicelib/static/dashboard/api.js";

function reply(status, body) {
  return { ok: status < 400, status, statusText: "x", text: async () => (body === undefined ? "" : JSON.stringify(body)) };
}

test("errors take the API's shape, whatever answered", () => {
  assert.deepEqual(toError(422, { error: { code: "invalid", message: "Fix it", fields: { "client.phone": "bad" } } }), {
    status: 422, code: "invalid", message: "Fix it", fields: { "client.phone": "bad" },
  });
  assert.deepEqual(toError(403, { message: "Forbidden" }), { status: 403, code: "http_403", message: "Forbidden", fields: {} });
  assert.deepEqual(toError(502, null, "Bad Gateway").code, "http_502");
});

test("a request sends JSON and reads JSON; a network failure is an error too", async () => {
  const seen = [];
  const data = await request("POST", "/x", { body: { a: 1 }, fetchFn: async (url, init) => { seen.push(init); return reply(201, { id: "1" }); } });
  assert.deepEqual(data, { id: "1" });
  assert.equal(seen[0].headers["Content-Type"], "application/json");
  assert.equal(seen[0].body, '{"a":1}');
  await assert.rejects(request("GET", "/x", { fetchFn: async () => { throw new TypeError("offline"); } }), (e) => e.code === "network");
  assert.equal(await request("DELETE", "/x", { fetchFn: async () => reply(204) }), null);
});

test("the token goes along; a 401 ends the session", async () => {
  let ended = 0;
  const calls = [];
  const api = createApi({
    base: "/stage/",
    getToken: () => "tok",
    onSessionEnded: () => ended++,
    fetchFn: async (url, init) => { calls.push([url, init.headers.Authorization]); return reply(401, { message: "Unauthorized" }); },
  });
  await assert.rejects(api("GET", "/calendar"), (e) => e.status === 401);
  assert.deepEqual(calls, [["/stage/api/v1/admin/calendar", "Bearer tok"]]);
  assert.equal(ended, 1);
});

test("every request says the dashboard's language, as it is at the time", async () => {
  // The third walkthrough: an import's rejected rows came in the browser's language.
  let chosen = "en";
  const sent = [];
  const api = createApi({ base: "/", getToken: () => "tok", onSessionEnded: () => {}, getLang: () => chosen,
    fetchFn: async (url, init) => { sent.push(init.headers["Accept-Language"]); return reply(200, {}); } });
  await api("GET", "/imports/i1");
  chosen = "sv";
  await api("POST", "/imports", { file: "x" });
  assert.deepEqual(sent, ["en", "sv"]);
});

test("a change whose answer never came is said to be perhaps done, and whether tapping again is safe", async () => {
  // The network walk: "no connection" after a refund the server had made.
  const api = createApi({ base: "/", getToken: () => "tok", onSessionEnded: () => {}, pause: async () => {},
    fetchFn: async () => { throw new TypeError("offline"); } });
  await assert.rejects(api("GET", "/day"), (e) => e.status === 0 && e.unanswered === undefined);
  await assert.rejects(api("POST", "/appointments/a/refund", {}, { "Idempotency-Key": "k" }), (e) => e.unanswered === "keyed");
  await assert.rejects(api("DELETE", "/clients/c/tags/vip"), (e) => e.unanswered === "sent");
  // A save's key is new per click (saveHeaders): tapped again, it is a new save (a probe).
  await assert.rejects(api("PUT", "/settings/hours", {}, { "Idempotency-Key": "k2", "If-Match": "3" }), (e) => e.unanswered === "sent");
});

test("a 403 other than owner_only asks /me whether the token is still good", async () => {
  let ended = 0;
  const urls = [];
  const api = createApi({
    base: "/",
    getToken: () => "tok",
    onSessionEnded: () => ended++,
    fetchFn: async (url) => { urls.push(url); return reply(403, { message: "Forbidden" }); },
  });
  await assert.rejects(api("GET", "/clients"), (e) => e.status === 403);
  assert.deepEqual(urls, ["/api/v1/admin/clients", "/api/v1/admin/me"]);
  assert.equal(ended, 1);
  urls.length = 0;
  const owner = createApi({ base: "/", getToken: () => "tok", onSessionEnded: () => ended++,
    fetchFn: async (url) => { urls.push(url); return reply(403, { error: { code: "owner_only", message: "no" } }); } });
  await assert.rejects(owner("GET", "/kpis"), (e) => e.code === "owner_only");
  assert.deepEqual(urls, ["/api/v1/admin/kpis"]);
});

test("optional contract fields are sent only when they differ from their default", () => {
  assert.deepEqual(withoutDefaults({ start: "s", notify: true, invite: false }, { notify: true, invite: false }), { start: "s" });
  assert.deepEqual(withoutDefaults({ notify: false, invite: true }, { notify: true, invite: false }), { notify: false, invite: true });
});

test("a route the server does not have yet, told apart from the app's own answers", () => {
  assert.equal(routeMissing({ status: 404, code: "http_404" }), true);
  assert.equal(routeMissing({ status: 404, code: "not_found" }), false); // an unknown id
  assert.equal(routeMissing({ status: 403, code: "http_403", message: "Missing Authentication Token" }), true);
  assert.equal(routeMissing({ status: 403, code: "bad_request" }), true); // the gateway's 4xx template
  assert.equal(routeMissing({ status: 403, code: "owner_only" }), false);
  assert.equal(routeMissing({ status: 409, code: "slot_taken" }), false);
});

test("what else an error carries is kept as its details", () => {
  const e = toError(422, { error: { code: "bad_mapping", message: "m", fields: { mapping: "x" }, columns: ["A"], mapping: { A: "-" } } });
  assert.deepEqual(e.details, { columns: ["A"], mapping: { A: "-" } });
  assert.equal(toError(404, { error: { code: "not_found", message: "", fields: {} } }).details, undefined);
});

test("If-Match carries the version the screen showed; none when the server gave none", () => {
  assert.deepEqual(ifMatch(1796479068833000), { "If-Match": "1796479068833000" });
  assert.deepEqual(ifMatch(0), { "If-Match": "0" });
  assert.equal(ifMatch(undefined), undefined);
  assert.equal(ifMatch(null), undefined);
});

test("a save goes with its If-Match and a key of its own; each save attempt a new key", () => {
  const one = saveHeaders(7), two = saveHeaders(7);
  assert.equal(one["If-Match"], "7");
  assert.match(one["Idempotency-Key"], /^[A-Za-z0-9._:-]{1,128}$/);
  assert.notEqual(one["Idempotency-Key"], two["Idempotency-Key"]);
  assert.deepEqual(Object.keys(saveHeaders(undefined)), ["Idempotency-Key"]);
});

test("a save whose answer was lost is sent again with the same key, and gets its answer", async () => {
  const sent = [], paused = [];
  const answers = [
    () => { throw new TypeError("network dropped"); },
    () => reply(409, { error: { code: "save_in_progress", message: "wait", fields: {} } }),
    () => reply(200, { client: { version: 8 } }),
  ];
  const api = createApi({
    base: "/", getToken: () => "tok", onSessionEnded: () => {}, pause: async (ms) => { paused.push(ms); },
    fetchFn: async (url, init) => { sent.push(init.headers); return answers[sent.length - 1](); },
  });
  const headers = saveHeaders(7);
  assert.deepEqual(await api("PATCH", "/clients/c1", { allergies: "Latex" }, headers), { client: { version: 8 } });
  assert.equal(sent.length, 3);
  assert.deepEqual(new Set(sent.map((h) => h["Idempotency-Key"] + "/" + h["If-Match"])), new Set([`${headers["Idempotency-Key"]}/7`]));
  assert.deepEqual(paused, [1000, 2000]);
  // A refusal is not sent again; nor is a save without a key, nor a POST.
  for (const [method, h, answer] of [
    ["PATCH", saveHeaders(7), () => reply(409, { error: { code: "client_changed", message: "x", fields: {} } })],
    ["PATCH", ifMatch(7), () => { throw new TypeError("offline"); }],
    ["POST", saveHeaders(7), () => { throw new TypeError("offline"); }],
  ]) {
    let calls = 0;
    const once = createApi({ base: "/", getToken: () => "tok", onSessionEnded: () => {}, pause: async () => {}, fetchFn: async () => { calls++; return answer(); } });
    await assert.rejects(once(method, "/clients/c1", {}, h));
    assert.equal(calls, 1, method);
  }
});

test("the same request tapped again goes with the same key; a changed one or one answered gets a new key", () => {
  const form = {};
  const first = onceKey(form, { amount_cents: 500, reason: "Goodwill" });
  // The answer was lost: her second tap is the same refund, not another one.
  assert.equal(onceKey(form, { amount_cents: 500, reason: "Goodwill" }), first);
  const changed = onceKey(form, { amount_cents: 700, reason: "Goodwill" });
  assert.notEqual(changed, first);
  forgetKey(form); // refunded (or refused): the next refund is a new one
  assert.notEqual(onceKey(form, { amount_cents: 700, reason: "Goodwill" }), changed);
  assert.equal(outcomeUnknown(toError(0, null, "offline")), true);
  assert.equal(outcomeUnknown({ status: 502 }), true);
  assert.equal(outcomeUnknown({ status: 409, code: "slot_taken" }), false);
  // The first is still running at the server: her next tap waits on it with the same key.
  assert.equal(outcomeUnknown({ status: 409, code: "save_in_progress" }), true);
});

test("a desk action on a visit says the version it acted on and keeps its key for the same tap again", () => {
  const asked = {};
  const path = "/appointments/a1/cancel";
  const first = visitHeaders(asked, path, { by: "salon" }, "0.booked");
  assert.equal(first["If-Match"], "0.booked");
  assert.equal(visitHeaders(asked, path, { by: "salon" }, "0.booked")["Idempotency-Key"], first["Idempotency-Key"]);
  // The card reloaded (another device moved it): a new version is a new action.
  assert.notEqual(visitHeaders(asked, path, { by: "salon" }, "1.booked")["Idempotency-Key"], first["Idempotency-Key"]);
  assert.equal("If-Match" in visitHeaders({}, path, {}, undefined), false); // an older server's view: no check
});
