// Pure: what a webhook delivery's receiver answered ("http_200" as "HTTP 200"), or why it
// could not be reached, as a catalogue key: the server's error is a code (a network
// failure's Python exception name, or why it was not sent), not words for the owner.
const UNREACHED = {
  gaierror: "wh_err_not_found",
  timeout: "wh_err_timeout",
  ConnectionRefusedError: "wh_err_refused",
  SSLCertVerificationError: "wh_err_certificate",
  SSLError: "wh_err_certificate",
  endpoint_deleted: "wh_err_deleted",
  endpoint_disabled: "wh_err_disabled",
};

export function deliveryAnswer(d) {
  if (d.response) return { text: d.response.replace(/^http_/, "HTTP ") };
  if (!d.error) return { text: "" };
  return UNREACHED[d.error] ? { key: UNREACHED[d.error] } : { key: "wh_err_other", vars: { code: d.error } };
}
