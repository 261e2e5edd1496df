// **Pure**: one line of GET /reminders (one rule of the reminder plan for one visit) as the
// words the desk reads: the channel, what becomes of the reminder and why
// (docs/owner-api.md, "Who is reminded"). Keys of the catalogue; `when`, the local ISO
// time each key's {when} is, for the caller to put in words.
export const STATUS_WORDS = {
  pending: "reminder_pending",
  sending: "reminder_pending",
  sent: "reminder_sent",
  skipped: "reminder_skipped",
  failed: "reminder_failed",
  none: "reminder_none",
};

// Every reason the API gives (and the outbox's own of a skipped or failed send that the
// desk can act on); another one is said by the status alone.
export const REASON_WORDS = {
  reminders_off: "why_reminders_off",
  no_email: "why_no_email",
  no_phone: "why_no_phone",
  sms_country: "why_sms_country",
  not_mobile: "why_not_mobile",
  no_client: "why_no_client",
  booked_inside_lead_time: "why_booked_inside_lead_time",
  quiet_hours: "why_quiet_hours",
  quiet_hours_moved: "why_quiet_hours_moved",
  not_planned: "why_not_planned",
  sms_limit: "why_sms_limit",
  visit_started: "why_visit_started",
  appointment_changed: "why_appointment_changed",
  opted_out: "why_opted_out",
};

export function reminderLine(r) {
  const why = REASON_WORDS[r.reason];
  return {
    channel: r.channel === "sms" ? "ch_sms" : "ch_email",
    status: { key: STATUS_WORDS[r.status] || "reminder_none", when: r.at || null },
    reason: why ? { key: why, when: r.planned_for || null } : null,
  };
}

// Why a message on her card did not go, as a catalogue key (the reminder list's words), or
// null: "not sent" alone read as a fault after the desk moved the visit it was for.
export function skippedWhy(m) {
  return (m && m.status === "skipped" && REASON_WORDS[m.error]) || null;
}
