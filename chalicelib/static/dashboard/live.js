// Live calendar: ask GET /calendar/changes?since=<token> every 15 s while the page is
// visible, and reload the visible range when something changed. A server without the
// route is not asked again.
import { routeMissing } from "./api.js";

export const INTERVAL_MS = 15000;

export function createPoller({ check, onChange, isVisible, intervalMs = INTERVAL_MS, setTimer, clearTimer }) {
  const set = setTimer || ((fn, ms) => setTimeout(fn, ms));
  const clr = clearTimer || ((id) => clearTimeout(id));
  let token = null;
  let timer = null;
  let running = false;
  let unsupported = false;
  let busy = false;

  function schedule() {
    if (timer !== null) clr(timer);
    timer = null;
    if (running && !unsupported && token && isVisible()) timer = set(tick, intervalMs);
  }

  async function tick() {
    timer = null;
    if (!running || unsupported || !token || busy || !isVisible()) { schedule(); return; }
    busy = true;
    const asked = token;
    try {
      const answer = await check(asked);
      if (answer && answer.token && token === asked) token = answer.token;
      if (answer && answer.changed) await onChange();
    } catch (err) {
      if (routeMissing(err)) unsupported = true;
    } finally {
      busy = false;
      schedule();
    }
  }

  return {
    setToken(t) { token = t || null; schedule(); },
    start() { running = true; schedule(); },
    stop() { running = false; schedule(); },
    // Back on the page: look at once, then every interval.
    visibilityChanged() { if (isVisible() && running) tick(); else schedule(); },
    tick,
    get state() { return { token, running, unsupported, scheduled: timer !== null }; },
  };
}
