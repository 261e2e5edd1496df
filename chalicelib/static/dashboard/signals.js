// Early warnings (chalicelib/domain/signals.py) in plain words: on her card and beside her
// status in the at-risk list.
import { day, number, t } from "./i18n.js";

// The sentence of one warning sign, its numbers in the dashboard's language.
export function signalText(s) {
  const p = s.params || {};
  switch (s.code) {
    case "spacing_out": return t("sig_spacing_out", { now: number(p.now_days, 0), was: number(p.was_days, 0) });
    case "changes_in_a_row": return t("sig_changes_in_a_row", { count: number(p.count, 0) });
    case "falling_rating": return t("sig_falling_rating", { now: number(p.now, 0), was: number(p.was, 1) });
    case "followup_overdue": return t("sig_followup_overdue", { days: number(p.days, 0) });
    case "no_contact": return t("sig_no_contact", { days: number(p.days, 0), longest: number(p.longest_days, 0) });
    case "no_show": return t("sig_no_show", { date: day(p.date) });
    default: return s.code;
  }
}
