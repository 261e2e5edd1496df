// The owner API: fetch with the signed-in user's token, every failure turned into the
// API's error shape {status, code, message, fields} (docs/owner-api.md).
export function toError(status, data, statusText) {
  const e = (data && data.error) || {};
  const out = {
    status,
    code: e.code || `http_${status}`,
    message: e.message || (data && data.message) || statusText || "",
    fields: e.fields || {},
  };
  // What else the error carries (e.g. a bad mapping's columns and suggested mapping).
  const { code, message, fields, ...details } = e;
  if (Object.keys(details).length) out.details = details;
  return out;
}

export async function request(method, url, { body, headers, fetchFn } = {}) {
  const init = { method, headers: { ...(headers || {}) } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let r;
  try {
    r = await (fetchFn || fetch)(url, init);
  } catch (e) {
    throw { status: 0, code: "network", message: String((e && e.message) || e), fields: {} };
  }
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (r.ok) return data;
  throw toError(r.status, data, r.statusText);
}

// api(method, path, body, headers) against <base>api/v1/admin. A 401 ends the session; a
// 403 that is not "owner only" may be an expired token the gateway refused: /me tells.
// Every request says the dashboard's language (getLang), not the browser's: what the API
// words itself (an import's rejected rows) comes in the language she chose.
//
// A save (PUT, PATCH) sent with an Idempotency-Key (saveHeaders) is sent again, with the same key, when
// its answer was lost (the network dropped) or the server says the first is still running:
// the server answers as it did the first time, never "changed elsewhere" by her own save.
export const SAVE_TRIES = 3;
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function createApi({ base, getToken, onSessionEnded, fetchFn, getLang, pause = wait }) {
  async function send(method, path, body, headers) {
    const keyed = (method === "PUT" || method === "PATCH") && !!(headers && headers["Idempotency-Key"]);
    for (let attempt = 1; ; attempt++) {
      const token = getToken();
      const language = getLang ? { "Accept-Language": getLang() } : {};
      try {
        return await request(method, `${base}api/v1/admin${path}`, {
          body,
          headers: { Authorization: `Bearer ${token}`, ...language, ...(headers || {}) },
          fetchFn,
        });
      } catch (err) {
        const again = err.status === 0 || (err.status === 409 && err.code === "save_in_progress");
        if (!keyed || !again || attempt >= SAVE_TRIES) throw err;
        await pause(1000 * attempt);
      }
    }
  }

  async function api(method, path, body, headers) {
    const token = getToken();
    try {
      return await send(method, path, body, headers);
    } catch (err) {
      // A change whose answer never came may have been done (errorText says so). A POST's
      // key is kept for the same request (postOnce): tapped again, the server answers as
      // the first time. A save's is new per click (saveHeaders): look first.
      const kept = method === "POST" && headers && headers["Idempotency-Key"];
      if (err && err.status === 0 && method !== "GET") err.unanswered = kept ? "keyed" : "sent";
      if (token !== getToken()) throw err;
      if (err.status === 401) { onSessionEnded(); throw err; }
      if (err.status === 403 && path === "/me") { onSessionEnded(); throw err; }
      if (err.status === 403 && err.code !== "owner_only") {
        try { await api("GET", "/me"); } catch (e) { /* /me ended the session if it was the token */ }
      }
      throw err;
    }
  }
  return api;
}

// The body without the keys whose value is the contract's default: a server that does
// not know an optional field yet (422 for an unknown key) still takes the request when
// the user kept the default; a non-default choice it cannot honour comes back as a field
// error next to its input instead of being silently dropped.
export function withoutDefaults(body, defaults) {
  const out = {};
  for (const [k, v] of Object.entries(body)) {
    if (k in defaults && defaults[k] === v) continue;
    out[k] = v;
  }
  return out;
}

// `If-Match: <version>` of a record as the dashboard showed it (a client, a follow-up,
// the settings): the server refuses the save with 409 if another device saved since.
// None when the server gave no version (an older one): the save goes as before.
export function ifMatch(version) {
  return version === undefined || version === null ? undefined : { "If-Match": String(version) };
}

// The headers of one save attempt of a record the dashboard showed at `version`: its
// If-Match, and a fresh Idempotency-Key that the save's retries keep (createApi).
export function saveHeaders(version) {
  return { ...(ifMatch(version) || {}), "Idempotency-Key": newIdempotencyKey() };
}

// One Idempotency-Key per thing she asks for (`holder` keeps it: {key, asked}): the same
// request sent again — her second tap after the answer was lost on a poor connection —
// goes with the same key, and the server answers as it did the first time instead of
// booking, refunding or noting it twice; a changed request gets a new key. After a definite
// answer (done, or refused) forgetKey(holder): the next request is a new one.
export function onceKey(holder, body) {
  const asked = JSON.stringify(body === undefined ? null : body);
  if (!holder.key || holder.asked !== asked) Object.assign(holder, { key: newIdempotencyKey(), asked });
  return holder.key;
}

// The headers of a desk action on a visit shown at `version` (a move, a cancellation, a
// mark): If-Match, so that what another device changed since is refused (409
// visit_changed) rather than done over, and the action's key (onceKey), so that her
// second tap after a lost answer is not refused as changed by her own first.
export function visitHeaders(holder, path, body, version) {
  return { ...(ifMatch(version) || {}), "Idempotency-Key": onceKey(holder, [path, body, version]) };
}

// POST `body` to `path` once (`api`: the dashboard's, state.js), with the record's `version`
// as If-Match when given: the key (`holder`) kept for the same request while its outcome is
// unknown, forgotten once it is answered or refused. One place for every keyed POST.
export async function postOnce(api, holder, path, body, version) {
  try {
    const done = await api("POST", path, body, visitHeaders(holder, path, body, version));
    forgetKey(holder);
    return done;
  } catch (err) {
    if (!outcomeUnknown(err)) forgetKey(holder);
    throw err;
  }
}

export function forgetKey(holder) {
  Object.assign(holder, { key: null, asked: null });
}

// Whether an error leaves it unknown if the request was done: the answer was lost (no
// connection, 0), the server failed (5xx) or is still at it (save_in_progress). Its key
// is kept for the same request again.
export function outcomeUnknown(err) {
  return !err || !err.status || err.status >= 500 || (err.status === 409 && err.code === "save_in_progress");
}

export function newIdempotencyKey() {
  if (globalThis.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  return `k${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
}

// A route this server does not have (yet): API Gateway and `chalice local` answer an
// unknown path with 403 "Missing Authentication Token" (or the gateway's 4xx template),
// never with the app's own codes; a plain 404 without the app's code means the same.
// The app's own 404 (an id that does not exist) has code "not_found".
export function routeMissing(err) {
  if (!err) return false;
  if (err.status === 404) return err.code !== "not_found";
  if (err.status === 403) return !["owner_only", "forbidden", "staff_only"].includes(err.code);
  return false;
}
