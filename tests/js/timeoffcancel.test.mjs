// A booking time off covers, cancelled from the time-off sheet, is the salon's doing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { timeOffCancelBody } from "../../chalicelib/static/dashboard/timeoffcancel.js";

test("time off cancels as the salon, with her invitation to book again", () => {
  // Not `by` left out (the API's default, "client": she phoned): that would count it as
  // her cancellation, make a late fee chargeable and text her at once at night.
  assert.deepEqual(timeOffCancelBody("Sairausloma"), { by: "salon", reason: "Sairausloma", invite: true });
});
