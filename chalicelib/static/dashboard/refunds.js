// The owner's refunds to make (GET /refunds/due): visits the salon cancelled (a staff
// member, a time off) that still hold what the client paid, and refunds Stripe failed. A
// cancelled visit is in no calendar, so this is where she finds them; each opens its
// appointment card, where she refunds it, and the card closes back onto the row (or onto
// the heading, once the row is gone).
import { $, el } from "./dom.js";
import { clock, day, money, t } from "./i18n.js";
import { currency, serviceName, staffName } from "./state.js";
import { cardOpener } from "./card.js";
import { MONEY_TAGS } from "./visitmoney.js";

function at(iso) { return `${day(iso)} ${clock(iso)}`; }

export function drawRefunds(box, data) {
  if (!data.refunds.length) { box.appendChild(el("li", { className: "muted", text: t("no_refunds") })); return; }
  for (const r of data.refunds) {
    const name = r.client_name || "–";
    const open = cardOpener(r.appointment_id, () => $("refunds"), { "aria-label": `${t("act_open_refund")}: ${name}` },
      t("act_open_refund"), () => $("h-refunds"));
    const why = [r.cancelled_at ? t("refund_cancelled_on", { when: at(r.cancelled_at) }) : "", r.cancel_reason || ""].filter(Boolean).join(" · ");
    box.appendChild(el("li", { "data-refund-row": r.appointment_id },
      el("div", { className: "row" },
        r.client_name ? el("a", { className: "who", href: `#client/${r.client_id}`, text: name }) : el("span", { className: "who", text: name }),
        el("span", { className: `tag money ${r.mark}`, text: t(MONEY_TAGS[r.mark] || MONEY_TAGS.refund_due) }),
        el("span", { className: "amount", text: money(r.held_cents, currency()) })),
      el("p", { className: "muted", text: [at(r.start), serviceName(r.service), r.staff ? staffName(r.staff) : ""].filter(Boolean).join(" · ") }),
      why ? el("p", { className: "muted", text: why }) : null, // a failed refund of a visit that took place: none
      el("div", { className: "actions" }, open)));
  }
}
