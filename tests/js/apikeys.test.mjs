// The API key form's body: the name trimmed, the scopes in the contract's order, only
// those ticked (chalicelib/static/dashboard/settingsform.js, for apikeys.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { newKeyBody } from "../../chalicelib/static/dashboard/settingsform.js";

test("the new key's body names it and lists only the scopes ticked, in order", () => {
  assert.deepEqual(newKeyBody("  Website ", ["write:clients", "read"]), { name: "Website", scopes: ["read", "write:clients"] });
  assert.deepEqual(newKeyBody("", ["admin"]), { name: "", scopes: [] });
});
