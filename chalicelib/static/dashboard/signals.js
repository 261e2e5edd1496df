// Early warnings (chalicelib/domain/signals.py) in plain words: on her card and beside her
// status in the at-risk list.
import { day, number, plural, t } from "./i18n.js";

// The sentence of one warning sign, its numbers in the dashboard's language.
export function signalText(s) {
  const p = s.params || {};
  switch (s.code) {
    case "spacing_out": return t("sig_spacing_out", { now: plural("every_days", p.now_days), was: plural("every_days", p.was_days) });
    case "changes_in_a_row": return plural("sig_changes_in_a_row", p.count);
    case "falling_rating": return t("sig_falling_rating", { now: number(p.now, 0), was: number(p.was, 1) });
    case "followup_overdue": return plural("sig_followup_overdue", p.days);
    case "no_contact": return plural("sig_no_contact", p.days, { longest: plural("days_n", p.longest_days) });
    case "no_show": return t("sig_no_show", { date: day(p.date) });
    case "one_visit": return t("sig_one_visit", { date: day(p.date) });
    default: return s.code;
  }
}
