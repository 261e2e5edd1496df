// Where an email address may wrap on a phone's card (chalicelib/static/dashboard/dom.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { emailParts } from "../../chalicelib/static/dashboard/dom.js";

test("an address wraps after its @ and before its dots, never inside a word", () => {
  assert.deepEqual(emailParts("maija.meikalainen@esimerkki-posti.example.com"),
    ["maija", ".meikalainen@", "esimerkki-posti", ".example", ".com"]);
  assert.equal(emailParts("x@y.fi").join(""), "x@y.fi");
  assert.deepEqual(emailParts("plain"), ["plain"]);
});
