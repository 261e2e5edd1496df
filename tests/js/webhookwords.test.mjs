// A webhook delivery's outcome in the owner's words (chalicelib/static/dashboard/webhookwords.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { deliveryAnswer } from "../../chalicelib/static/dashboard/webhookwords.js";

test("the receiver's answer as HTTP and its status", () => {
  assert.deepEqual(deliveryAnswer({ response: "http_503", error: null }), { text: "HTTP 503" });
});

test("a receiver not reached is said in words, an unknown failure with its code", () => {
  assert.deepEqual(deliveryAnswer({ error: "gaierror" }), { key: "wh_err_not_found" });
  assert.deepEqual(deliveryAnswer({ error: "timeout" }), { key: "wh_err_timeout" });
  assert.deepEqual(deliveryAnswer({ error: "SSLCertVerificationError" }), { key: "wh_err_certificate" });
  assert.deepEqual(deliveryAnswer({ error: "RemoteDisconnected" }), { key: "wh_err_other", vars: { code: "RemoteDisconnected" } });
  assert.deepEqual(deliveryAnswer({}), { text: "" });
});
