// The CSV import's pure parts: the mapping, base64, the figures and the errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as M from "../../chalicelib/static/dashboard/csvmap.js";

test("the file's bytes as base64, also beyond one slice", () => {
  const bytes = new Uint8Array([0x4e, 0x69, 0x6d, 0x69, 0x3b, 0xe4]); // "Nimi;ä" in Windows-1252
  assert.equal(M.toBase64(bytes), Buffer.from(bytes).toString("base64"));
  const big = new Uint8Array(100000).map((_, i) => i % 251);
  assert.equal(M.toBase64(big), Buffer.from(big).toString("base64"));
  assert.equal(M.fits(3 * 1024 * 1024), true);
  assert.equal(M.fits(4 * 1024 * 1024), false);
});

test("a field belongs to one column; a mapping needs a name and a phone or email", () => {
  const mapping = { Nimi: "name", Puhelin: "phone", Muu: "-" };
  assert.deepEqual(M.rows(["Nimi", "Puhelin", "Muu", "Uusi"], mapping).map((r) => r.field), ["name", "phone", "-", "-"]);
  const moved = M.withField(mapping, "Muu", "phone");
  assert.deepEqual(moved, { Nimi: "name", Puhelin: "-", Muu: "phone" });
  assert.equal(M.problem(moved), null);
  assert.equal(M.problem(M.withField(mapping, "Nimi", "-")), "imp_need_name");
  assert.equal(M.problem({ Etunimi: "first_name", X: "birthday" }), "imp_need_contact");
  assert.deepEqual(M.body("QQ==", null, false), { csv_base64: "QQ==", stamps: false });
  assert.deepEqual(M.body("QQ==", moved, 1).mapping, moved);
});

test("figures: the dry run before the run, the run's own after", () => {
  const view = { status: "previewed", total_rows: 4, done_rows: 0, created: 0, merged: 0, visits: 0, rejected: [], rejected_total: 0,
    dry_run: { create: 2, contactless: 1, merge: 1, visits: 3, rejected: [{ row: 4, code: "bad_phone", reason: "bad" }], rejected_total: 1 } };
  assert.deepEqual(M.figures(view), { create: 2, contactless: 1, merge: 1, visits: 3, notes: null, rejected: view.dry_run.rejected, rejectedTotal: 1 });
  const done = { ...view, status: "done", done_rows: 4, created: 1, merged: 2, visits: 3, rejected: [], rejected_total: 1 };
  assert.equal(M.figures(done).create, 1);
  assert.equal(M.figures(done).contactless, 0);  // an import from before the count: none said
  assert.equal(M.figures(done).notes, null);  // nor notes: a dry run from before they were counted shows no figure
  assert.deepEqual(M.progress(done), { done: 4, total: 4, finished: true, failed: false, percent: 100 });
  assert.equal(M.progress({ status: "running", total_rows: 3, done_rows: 1 }).percent, 33);
});

test("notes: the dry run's promise, then what the run added (a note a card has already: none)", () => {
  const view = { status: "previewed", total_rows: 14, dry_run: { create: 1, merge: 13, visits: 1, notes: 0, rejected: [], rejected_total: 0 } };
  assert.equal(M.figures(view).notes, 0);
  assert.equal(M.figures({ ...view, status: "done", notes: 1 }).notes, 1);
  assert.equal(M.figures({ ...view, status: "done" }).notes, 0);
});

test("a listed row says whose it is: her name as the file writes it, then the rest", () => {
  assert.equal(M.rowWords("Kristina Ström", "Telefonnumret är ogiltigt: 040 12"), "Kristina Ström · Telefonnumret är ogiltigt: 040 12");
  assert.equal(M.rowWords("Matti Virtanen", "15.12.2026", "Herrklippning", "Mikko"), "Matti Virtanen · 15.12.2026 · Herrklippning · Mikko");
  assert.equal(M.rowWords(null, "Namn saknas."), "Namn saknas.");  // a row with no name, or a list from before names
  assert.equal(M.rowWords(undefined, "15.12.2026", null, "Mikko"), "15.12.2026 · Mikko");
});

test("upload errors in the owner's words", () => {
  assert.equal(M.uploadError({ status: 413, code: "http_413" }), "imp_too_big");
  assert.equal(M.uploadError({ status: 422, code: "too_many_rows" }), "imp_too_many_rows");
  assert.equal(M.uploadError({ status: 422, code: "bad_file" }), "imp_bad_file");
  assert.equal(M.uploadError({ status: 422, code: "unclosed_quote", details: { line: 3 } }), "imp_unclosed_quote");
  assert.equal(M.uploadError({ status: 403, code: "owner_only" }), "imp_owner_only");
  assert.equal(M.uploadError({ status: 0, code: "network" }), "imp_failed");
});

test("dry-run facts: visits booked ahead and names that match nothing, none in an older dry run", () => {
  const future = [{ row: 9, date: "2026-12-24", time: null, service: "Naisten hiustenleikkaus", staff: "Aino" }];
  const view = { status: "done", dry_run: { future_visits: future, future_visits_total: 3,
    unknown_services: [{ name: "Tuntematon palvelu", rows: 2 }], unknown_services_total: 1, unknown_staff: [], unknown_staff_total: 0 } };
  assert.deepEqual(M.dryFacts(view), { future: { items: future, more: 2 },
    services: { items: [{ name: "Tuntematon palvelu", rows: 2 }], more: 0 }, staff: { items: [], more: 0 },
    leftOut: { items: [], more: 0 } });
  const old = M.dryFacts({ status: "previewed", dry_run: { create: 1, rejected: [], rejected_total: 0 } });
  assert.deepEqual(old, { future: { items: [], more: 0 }, services: { items: [], more: 0 }, staff: { items: [], more: 0 },
    leftOut: { items: [], more: 0 } });
});

test("rows imported without a detail are listed apart from the rejected ones", () => {
  const warnings = [{ row: 11, name: "Jörgen Sjöholm", field: "birthday", code: "birthday_left_out", reason: "Importerad utan födelsedag: 31.02.1988 …" }];
  const view = { status: "previewed", dry_run: { rejected: [], rejected_total: 0, warnings, warnings_total: 4 } };
  assert.deepEqual(M.dryFacts(view).leftOut, { items: warnings, more: 3 });
  assert.deepEqual(M.figures(view).rejected, []);  // not among the rejected
});
