// What the API takes in a personal message (chalicelib/services/admin/messages.py): a
// client with an email gets it by email, up to TEXT_MAX characters; one with only a phone
// by SMS, where the text must fit beside her rebook and unsubscribe links: the room the
// API gives with her (marketing.sms_room), else SMS_UNITS GSM-7 units (SMS_TEXT_UNITS
// there, before her links are known). The units
// are counted as the API counts them (chalicelib/notify/gsm.py): a character of the
// extension table costs two, a look-alike what it is replaced with, any other one.
export const TEXT_MAX = 1000;
export const SMS_UNITS = 206;

const EXTENSION = new Set("\f^{}\\[~]|€");
const REPLACED = { "\u2026": 3, "œ": 2, "Œ": 2, "þ": 2, "Þ": 2,
  "\u200b": 0, "\u200c": 0, "\u200d": 0, "\ufeff": 0, "\u00ad": 0 };

export function smsUnits(text) {
  let units = 0;
  for (const c of String(text).trim()) units += EXTENSION.has(c) ? 2 : (REPLACED[c] ?? 1);
  return units;
}

// How the message would go to `client` ({email, phone}) and how much of it is used:
// {channel: "email" | "sms" | null, used, max, over}.
export function messageRoom(client, text) {
  const c = client || {};
  const channel = c.email ? "email" : c.phone ? "sms" : null;
  const used = channel === "sms" ? smsUnits(text) : [...String(text).trim()].length;
  const room = c.marketing && c.marketing.sms_room;
  const max = channel === "sms" ? (Number.isInteger(room) ? room : SMS_UNITS) : TEXT_MAX;
  return { channel, used, max, over: used > max };
}

// A personal message is marketing: only to a client who has agreed to it.
export function mayMessage(client) {
  return !!(client && client.marketing && client.marketing.granted);
}

// The marketing cap: when the next message may go to her (the API's next_at), while it
// is still ahead; null when one may go now.
export function cappedUntil(client, now = Date.now()) {
  const at = client && client.marketing && client.marketing.next_at;
  return at && Date.parse(at) > now ? at : null;
}
