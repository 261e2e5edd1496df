import { test } from "node:test";
import assert from "node:assert/strict";
import { createPoller, INTERVAL_MS } from "../../chalicelib/static/dashboard/live.js";

function clockStub() {
  const timers = new Map();
  let next = 1;
  return {
    set: (fn, ms) => { timers.set(next, { fn, ms }); return next++; },
    clear: (id) => timers.delete(id),
    timers,
    async fire() {
      const [id, { fn }] = [...timers.entries()][0];
      timers.delete(id);
      await fn();
    },
  };
}

test("asks every 15 s with the last token and reloads on a change", async () => {
  const c = clockStub();
  const asked = [];
  let reloads = 0;
  const answers = [{ changed: false, token: "t2" }, { changed: true, token: "t3" }];
  const poller = createPoller({
    check: async (tok) => { asked.push(tok); return answers.shift(); },
    onChange: async () => { reloads++; },
    isVisible: () => true,
    setTimer: c.set,
    clearTimer: c.clear,
  });
  poller.setToken("t1");
  assert.equal(c.timers.size, 0, "not before start");
  poller.start();
  assert.equal([...c.timers.values()][0].ms, INTERVAL_MS);
  await c.fire();
  await c.fire();
  assert.deepEqual(asked, ["t1", "t2"]);
  assert.equal(reloads, 1);
  assert.equal(poller.state.token, "t3");
  assert.equal(c.timers.size, 1, "still polling");
});

test("nothing while the page is hidden; at once when it is back", async () => {
  const c = clockStub();
  let visible = false;
  let asked = 0;
  const poller = createPoller({
    check: async () => { asked++; return { changed: false, token: "x" }; },
    onChange: async () => {},
    isVisible: () => visible,
    setTimer: c.set,
    clearTimer: c.clear,
  });
  poller.setToken("t");
  poller.start();
  assert.equal(c.timers.size, 0);
  visible = true;
  poller.visibilityChanged();
  await new Promise((r) => setImmediate(r));
  assert.equal(asked, 1);
  assert.equal(c.timers.size, 1);
  visible = false;
  poller.visibilityChanged();
  assert.equal(c.timers.size, 0);
});

test("a server without the route is not asked again; no token, no polling", async () => {
  const c = clockStub();
  let asked = 0;
  const poller = createPoller({
    check: async () => { asked++; throw { status: 404, code: "http_404" }; },
    onChange: async () => {},
    isVisible: () => true,
    setTimer: c.set,
    clearTimer: c.clear,
  });
  poller.start();
  assert.equal(c.timers.size, 0, "no token yet");
  poller.setToken("t");
  await c.fire();
  assert.equal(asked, 1);
  assert.equal(poller.state.unsupported, true);
  assert.equal(c.timers.size, 0);
  poller.setToken("t4");
  assert.equal(c.timers.size, 0);
});

test("chalice local's and API Gateway's answer for an unknown route counts as missing", async () => {
  const c = clockStub();
  const poller = createPoller({
    check: async () => { throw { status: 403, code: "http_403", message: "Missing Authentication Token" }; },
    onChange: async () => {},
    isVisible: () => true,
    setTimer: c.set,
    clearTimer: c.clear,
  });
  poller.setToken("t");
  poller.start();
  await c.fire();
  assert.equal(poller.state.unsupported, true);
});

test("another error keeps polling", async () => {
  const c = clockStub();
  const poller = createPoller({
    check: async () => { throw { status: 0, code: "network" }; },
    onChange: async () => {},
    isVisible: () => true,
    setTimer: c.set,
    clearTimer: c.clear,
  });
  poller.setToken("t");
  poller.start();
  await c.fire();
  assert.equal(c.timers.size, 1);
});
