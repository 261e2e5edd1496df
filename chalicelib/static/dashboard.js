/* The owner dashboard (/admin): sign-in, then today's and this week's appointments,
   key figures with monthly trends, clients slipping away (message, maintenance,
   follow-up), follow-ups due, low scores and messages that failed. Everything comes
   from the owner API (/api/v1/admin/*) with the user's token; nothing is kept but the
   token (sessionStorage) and the chosen language (localStorage). docs/dashboard.md */
(function () {
  "use strict";

  var T = {
    fi: {
      loading: "Ladataan…", language: "Kieli", sign_in_title: "Kirjaudu sisään",
      sign_in_intro: "Rebook omistajille ja henkilökunnalle", email: "Sähköposti", password: "Salasana",
      mfa_code: "Todennussovelluksen koodi", bad_code: "Koodi ei kelpaa. Yritä uudelleen.",
      new_password: "Uusi salasana", new_password_needed: "Valitse uusi salasana, niin kirjautuminen valmistuu.",
      sign_in: "Kirjaudu", signing_in: "Kirjaudutaan…", bad_credentials: "Väärä sähköposti tai salasana.",
      fill_both: "Anna sähköposti ja salasana.", password_rules: "Uusi salasana ei täytä vaatimuksia: {message}",
      sign_in_failed: "Kirjautuminen epäonnistui. Yritä uudelleen.", no_sign_in: "Kirjautumista ei ole määritetty.",
      signed_out: "Olet kirjautunut ulos.", session_ended: "Istuntosi päättyi. Kirjaudu uudelleen.",
      sign_out: "Kirjaudu ulos", views: "Näkymät", role_owner: "Omistaja", role_staff: "Henkilökunta",
      nav_today: "Varaukset", nav_kpis: "Tunnusluvut", nav_clients: "Riskiasiakkaat", nav_followups: "Seurannat",
      nav_feedback: "Heikot arviot", nav_failed: "Epäonnistuneet viestit",
      h_today: "Varaukset", today: "Tänään", this_week: "Tällä viikolla", no_appointments: "Ei varauksia.",
      appointments_n: "Varauksia: {n}",
      o_upcoming: "Varattu", o_in_progress: "Käynnissä", o_completed: "Valmis", o_no_show: "Ei saapunut",
      o_cancelled: "Peruttu",
      h_kpis: "Tunnusluvut", period: "Jakso", month: "Kuukausi", quarter: "Neljännes", year: "Vuosi",
      prev_period: "Edellinen jakso", next_period: "Seuraava jakso", quarter_label: "{q}. neljännes {y}",
      trend: "{kpi} kuukausittain", what_is: "Mikä tämä on?", no_value: "ei tietoa",
      kpis_unavailable: "Tunnuslukuja ei ole vielä saatavilla.",
      g_clients: "Asiakkaat", g_rebooking: "Uudelleenvaraukset", g_visits: "Käynnit ja myynti",
      g_satisfaction: "Tyytyväisyys", g_winback: "Paluuviestit",
      h_clients: "Riskissä olevat ja poisjääneet asiakkaat", at_risk: "Riskissä", lapsed: "Poisjäänyt",
      last_visit: "Viimeksi {date}", expected: "Odotettiin {date}", visits_spend: "Käyntejä {visits}, yhteensä {spend}",
      no_slipping: "Kukaan ei ole juuri nyt jäämässä pois.",
      act_message: "Lähetä viesti", act_maintenance: "Siirrä ylläpitoon", act_followup: "Lisää seuranta",
      message_to: "Viesti: {name}", message: "Viesti", message_hint: "Lähtee sähköpostilla tai, jos sitä ei ole, tekstiviestinä – mukana linkki ajanvaraukseen.",
      send: "Lähetä", cancel: "Peruuta", save: "Tallenna",
      sent: "Viesti asiakkaalle {name} on matkalla.",
      no_consent: "{name} ei ole antanut lupaa viesteihin, joten viestiä ei lähetetty.",
      no_contact: "Asiakkaalla {name} ei ole puhelinnumeroa eikä sähköpostia, joten viestiä ei lähetetty.",
      capped: "{name} sai markkinointiviestin äskettäin, eikä uutta voi vielä lähettää.",
      maintenance_done: "{name} on nyt ylläpitoasiakas: ei enää riskilistalla eikä paluuviestejä.",
      followup_for: "Seuranta: {name}", followup_text: "Mitä tehdään", followup_due: "Määräpäivä",
      default_followup: "Ota yhteyttä ja kysy kuulumiset", followup_added: "Seuranta lisätty: {name}, {date}.",
      h_followups: "Seurannat, joiden aika on nyt", due_on: "Määräpäivä {date}", overdue: "Myöhässä",
      mark_done: "Merkitse tehdyksi", followup_done: "Seuranta merkitty tehdyksi: {name}.",
      no_followups: "Ei ajankohtaisia seurantoja.",
      h_feedback: "Viimeaikaiset heikot arviot",
      feedback_summary: "Viimeiset 30 päivää: {count} arviota, keskiarvo {avg}.",
      no_low: "Ei heikkoja arvioita viimeisen 30 päivän aikana.", stars: "{n}/5 tähteä",
      h_failed: "Viestit, jotka eivät menneet perille", no_failed: "Ei epäonnistuneita viestejä.",
      ch_email: "Sähköposti", ch_sms: "Tekstiviesti",
      k_confirmation: "Varausvahvistus", k_reminder: "Muistutus", k_rescheduled: "Varaus siirretty",
      k_cancelled: "Peruutus", k_feedback_request: "Palautepyyntö", k_feedback_alert: "Ilmoitus heikosta arviosta",
      k_winback: "Paluuviesti", k_birthday: "Syntymäpäivätervehdys", k_reward: "Etu", k_personal: "Henkilökohtainen viesti",
      e_opted_out: "Numero on kieltäytynyt tekstiviesteistä (STOP).", e_invalid_phone: "Virheellinen puhelinnumero.",
      e_rejected: "Sähköpostipalvelu hylkäsi viestin.",
      load_failed: "Tietojen haku epäonnistui.", retry: "Yritä uudelleen", action_failed: "Toiminto epäonnistui: {message}"
    },
    sv: {
      loading: "Laddar…", language: "Språk", sign_in_title: "Logga in",
      sign_in_intro: "Rebook för ägare och personal", email: "E-post", password: "Lösenord",
      mfa_code: "Kod från autentiseringsappen", bad_code: "Koden gäller inte. Försök igen.",
      new_password: "Nytt lösenord", new_password_needed: "Välj ett nytt lösenord för att slutföra inloggningen.",
      sign_in: "Logga in", signing_in: "Loggar in…", bad_credentials: "Fel e-post eller lösenord.",
      fill_both: "Ange e-post och lösenord.", password_rules: "Det nya lösenordet uppfyller inte kraven: {message}",
      sign_in_failed: "Inloggningen misslyckades. Försök igen.", no_sign_in: "Inloggning är inte konfigurerad.",
      signed_out: "Du har loggat ut.", session_ended: "Din session har gått ut. Logga in igen.",
      sign_out: "Logga ut", views: "Vyer", role_owner: "Ägare", role_staff: "Personal",
      nav_today: "Bokningar", nav_kpis: "Nyckeltal", nav_clients: "Riskkunder", nav_followups: "Uppföljningar",
      nav_feedback: "Låga betyg", nav_failed: "Misslyckade meddelanden",
      h_today: "Bokningar", today: "I dag", this_week: "Denna vecka", no_appointments: "Inga bokningar.",
      appointments_n: "Bokningar: {n}",
      o_upcoming: "Bokad", o_in_progress: "Pågår", o_completed: "Klar", o_no_show: "Uteblev", o_cancelled: "Avbokad",
      h_kpis: "Nyckeltal", period: "Period", month: "Månad", quarter: "Kvartal", year: "År",
      prev_period: "Föregående period", next_period: "Nästa period", quarter_label: "Kvartal {q} {y}",
      trend: "{kpi} per månad", what_is: "Vad betyder det?", no_value: "inga uppgifter",
      kpis_unavailable: "Nyckeltalen är inte tillgängliga än.",
      g_clients: "Kunder", g_rebooking: "Ombokningar", g_visits: "Besök och försäljning",
      g_satisfaction: "Nöjdhet", g_winback: "Återvinning",
      h_clients: "Kunder i riskzonen och kunder som slutat komma", at_risk: "I riskzonen", lapsed: "Slutat komma",
      last_visit: "Senast {date}", expected: "Väntades {date}", visits_spend: "Besök: {visits}, totalt {spend}",
      no_slipping: "Ingen är på väg bort just nu.",
      act_message: "Skicka meddelande", act_maintenance: "Sätt till underhåll", act_followup: "Lägg till uppföljning",
      message_to: "Meddelande till {name}", message: "Meddelande", message_hint: "Skickas per e-post, eller som SMS om e-post saknas, med en länk för att boka.",
      send: "Skicka", cancel: "Avbryt", save: "Spara",
      sent: "Meddelandet till {name} är på väg.",
      no_consent: "{name} har inte samtyckt till meddelanden, så inget skickades.",
      no_contact: "{name} har varken telefonnummer eller e-post, så inget skickades.",
      capped: "{name} fick nyss ett marknadsföringsmeddelande, så ett nytt kan inte skickas än.",
      maintenance_done: "{name} är nu underhållskund: inte längre på risklistan och inga återvinningsmeddelanden.",
      followup_for: "Uppföljning: {name}", followup_text: "Vad ska göras", followup_due: "Förfallodag",
      default_followup: "Ta kontakt och hör hur det är", followup_added: "Uppföljning tillagd: {name}, {date}.",
      h_followups: "Uppföljningar att göra nu", due_on: "Förfaller {date}", overdue: "Försenad",
      mark_done: "Markera som klar", followup_done: "Uppföljningen är klar: {name}.",
      no_followups: "Inga uppföljningar att göra.",
      h_feedback: "Senaste låga betyg",
      feedback_summary: "Senaste 30 dagarna: {count} betyg, medelvärde {avg}.",
      no_low: "Inga låga betyg de senaste 30 dagarna.", stars: "{n} av 5 stjärnor",
      h_failed: "Meddelanden som inte gick fram", no_failed: "Inga misslyckade meddelanden.",
      ch_email: "E-post", ch_sms: "SMS",
      k_confirmation: "Bokningsbekräftelse", k_reminder: "Påminnelse", k_rescheduled: "Bokning flyttad",
      k_cancelled: "Avbokning", k_feedback_request: "Begäran om betyg", k_feedback_alert: "Avisering om lågt betyg",
      k_winback: "Vi saknar dig", k_birthday: "Födelsedagshälsning", k_reward: "Förmån", k_personal: "Personligt meddelande",
      e_opted_out: "Numret har tackat nej till SMS (STOP).", e_invalid_phone: "Ogiltigt telefonnummer.",
      e_rejected: "E-posttjänsten avvisade meddelandet.",
      load_failed: "Det gick inte att hämta uppgifterna.", retry: "Försök igen", action_failed: "Det gick inte: {message}"
    },
    en: {
      loading: "Loading…", language: "Language", sign_in_title: "Sign in",
      sign_in_intro: "Rebook for owners and staff", email: "Email", password: "Password",
      mfa_code: "Code from your authenticator app", bad_code: "That code is not valid. Please try again.",
      new_password: "New password", new_password_needed: "Choose a new password to finish signing in.",
      sign_in: "Sign in", signing_in: "Signing in…", bad_credentials: "Wrong email or password.",
      fill_both: "Enter your email and password.", password_rules: "The new password does not meet the rules: {message}",
      sign_in_failed: "Signing in failed. Please try again.", no_sign_in: "Sign-in is not configured.",
      signed_out: "You have signed out.", session_ended: "Your session has ended. Please sign in again.",
      sign_out: "Sign out", views: "Views", role_owner: "Owner", role_staff: "Staff",
      nav_today: "Appointments", nav_kpis: "Key figures", nav_clients: "At risk", nav_followups: "Follow-ups",
      nav_feedback: "Low scores", nav_failed: "Failed messages",
      h_today: "Appointments", today: "Today", this_week: "This week", no_appointments: "No appointments.",
      appointments_n: "Appointments: {n}",
      o_upcoming: "Booked", o_in_progress: "In progress", o_completed: "Done", o_no_show: "No-show", o_cancelled: "Cancelled",
      h_kpis: "Key figures", period: "Period", month: "Month", quarter: "Quarter", year: "Year",
      prev_period: "Previous period", next_period: "Next period", quarter_label: "Q{q} {y}",
      trend: "{kpi} by month", what_is: "What is this?", no_value: "no data",
      kpis_unavailable: "Key figures are not available yet.",
      g_clients: "Clients", g_rebooking: "Rebooking", g_visits: "Visits and revenue",
      g_satisfaction: "Satisfaction", g_winback: "Win-back",
      h_clients: "At-risk and lapsed clients", at_risk: "At risk", lapsed: "Lapsed",
      last_visit: "Last visit {date}", expected: "Expected {date}", visits_spend: "Visits: {visits}, total {spend}",
      no_slipping: "Nobody is slipping away right now.",
      act_message: "Send a message", act_maintenance: "Set to maintenance", act_followup: "Add a follow-up",
      message_to: "Message to {name}", message: "Message", message_hint: "Sent by email, or by text message if there is no email, with a link to book.",
      send: "Send", cancel: "Cancel", save: "Save",
      sent: "Your message to {name} is on its way.",
      no_consent: "{name} has not agreed to receive messages, so nothing was sent.",
      no_contact: "{name} has no phone number or email address, so nothing was sent.",
      capped: "{name} got a marketing message recently, so another cannot be sent yet.",
      maintenance_done: "{name} is now a maintenance client: off the at-risk list, no win-back messages.",
      followup_for: "Follow-up: {name}", followup_text: "What to do", followup_due: "Due",
      default_followup: "Get in touch and ask how they are", followup_added: "Follow-up added: {name}, {date}.",
      h_followups: "Follow-ups due", due_on: "Due {date}", overdue: "Overdue",
      mark_done: "Mark done", followup_done: "Follow-up marked done: {name}.",
      no_followups: "No follow-ups due.",
      h_feedback: "Recent low scores",
      feedback_summary: "Last 30 days: {count} ratings, average {avg}.",
      no_low: "No low scores in the last 30 days.", stars: "{n} of 5 stars",
      h_failed: "Messages that failed", no_failed: "No failed messages.",
      ch_email: "Email", ch_sms: "Text message",
      k_confirmation: "Booking confirmation", k_reminder: "Reminder", k_rescheduled: "Booking moved",
      k_cancelled: "Cancellation", k_feedback_request: "Rating request", k_feedback_alert: "Low score alert",
      k_winback: "We miss you", k_birthday: "Birthday greeting", k_reward: "Reward", k_personal: "Personal message",
      e_opted_out: "The number has opted out of text messages (STOP).", e_invalid_phone: "Invalid phone number.",
      e_rejected: "The email service rejected the message.",
      load_failed: "Could not load this.", retry: "Try again", action_failed: "That did not work: {message}"
    }
  };

  // Key figures (docs/kpis.md defines each): [key, fi, sv, en] names and one-line definitions.
  var KPI = {
    retention_rate: [["Asiakaspysyvyys", "Edellisellä jaksolla käyneistä asiakkaista se osuus, joka kävi uudelleen tällä jaksolla."],
      ["Återkomstgrad", "Andelen av kunderna som besökte föregående period som kom tillbaka den här perioden."],
      ["Retention rate", "Of the clients who visited in the previous period, the share who visited again in this one."]],
    new_clients: [["Uudet asiakkaat", "Asiakkaat, joiden ensimmäinen käynti oli tällä jaksolla."],
      ["Nya kunder", "Kunder vars första besök var under perioden."],
      ["New clients", "Clients whose first visit was in this period."]],
    returning_clients: [["Palaavat asiakkaat", "Jaksolla käyneet asiakkaat, jotka olivat käyneet aiemminkin."],
      ["Återkommande kunder", "Kunder som besökte under perioden och hade besökt tidigare."],
      ["Returning clients", "Clients who visited in this period and had visited before."]],
    visit_frequency: [["Käyntitiheys", "Toteutuneita käyntejä jaksolla käynyttä asiakasta kohden."],
      ["Besöksfrekvens", "Genomförda besök per kund som besökte under perioden."],
      ["Visit frequency", "Completed visits per client who visited in the period."]],
    average_spend_cents: [["Keskiostos", "Toteutuneiden käyntien myynti jaettuna käyneiden asiakkaiden määrällä."],
      ["Genomsnittlig köpsumma", "Intäkterna från genomförda besök delat med antalet kunder som besökte."],
      ["Average spend per client", "Revenue of completed visits divided by the clients who visited."]],
    rebooking_rate_30: [["Uusi varaus 30 päivässä", "Osuus toteutuneista käynneistä, joita seurasi uusi varaus 30 päivän sisällä."],
      ["Ny bokning inom 30 dagar", "Andelen genomförda besök som följdes av en ny bokning inom 30 dagar."],
      ["Rebooked within 30 days", "Share of completed visits followed by another booking within 30 days."]],
    rebooking_rate_60: [["Uusi varaus 60 päivässä", "Osuus toteutuneista käynneistä, joita seurasi uusi varaus 60 päivän sisällä."],
      ["Ny bokning inom 60 dagar", "Andelen genomförda besök som följdes av en ny bokning inom 60 dagar."],
      ["Rebooked within 60 days", "Share of completed visits followed by another booking within 60 days."]],
    rebooking_rate_90: [["Uusi varaus 90 päivässä", "Osuus toteutuneista käynneistä, joita seurasi uusi varaus 90 päivän sisällä."],
      ["Ny bokning inom 90 dagar", "Andelen genomförda besök som följdes av en ny bokning inom 90 dagar."],
      ["Rebooked within 90 days", "Share of completed visits followed by another booking within 90 days."]],
    rebooked_before_leaving_rate: [["Varasi ennen lähtöä", "Osuus toteutuneista käynneistä, joilla asiakas varasi seuraavan ajan ennen lähtöään."],
      ["Bokade innan hen gick", "Andelen genomförda besök där kunden bokade nästa tid innan hen gick."],
      ["Booked before leaving", "Share of completed visits where the client booked the next one before leaving."]],
    visits: [["Käynnit", "Jakson toteutuneet käynnit."], ["Besök", "Genomförda besök under perioden."],
      ["Visits", "Completed visits in the period."]],
    revenue_cents: [["Myynti", "Jakson toteutuneiden käyntien hinnat yhteensä."],
      ["Intäkter", "Summan av priserna för periodens genomförda besök."],
      ["Revenue", "The prices of the completed visits in the period, added up."]],
    no_show_rate: [["Saapumatta jääneet", "Jakson toteutuneista ja väliin jääneistä käynneistä se osuus, jolle asiakas ei saapunut."],
      ["Uteblivna besök", "Av periodens genomförda och uteblivna besök, andelen där kunden inte kom."],
      ["No-show rate", "Of the period's visits that were due (done or no-show), the share where the client did not come."]],
    cancellation_rate: [["Peruutukset", "Osuus jakson varauksista, jotka peruttiin."],
      ["Avbokningar", "Andelen av periodens bokningar som avbokades."],
      ["Cancellation rate", "Share of the period's bookings that were cancelled."]],
    late_cancellation_rate: [["Myöhäiset peruutukset", "Osuus jakson varauksista, jotka peruttiin vasta peruutusrajan jälkeen."],
      ["Sena avbokningar", "Andelen av periodens bokningar som avbokades efter avbokningsfristen."],
      ["Late cancellations", "Share of the period's bookings cancelled after the cancellation deadline."]],
    no_show_rate_reminded: [["Saapumatta, muistutettu", "Saapumatta jääneiden osuus käynneistä, joista lähti muistutus."],
      ["Uteblev, påmind", "Andelen uteblivna bland besöken som fick en påminnelse."],
      ["No-shows, reminded", "No-show rate of the visits that got a reminder."]],
    no_show_rate_not_reminded: [["Saapumatta, ei muistutettu", "Saapumatta jääneiden osuus käynneistä, joista ei lähtenyt muistutusta."],
      ["Uteblev, ej påmind", "Andelen uteblivna bland besöken som inte fick någon påminnelse."],
      ["No-shows, not reminded", "No-show rate of the visits that got no reminder."]],
    average_rating: [["Arvioiden keskiarvo", "Jakson käynneille annettujen 1–5 tähden arvioiden keskiarvo."],
      ["Genomsnittligt betyg", "Medelvärdet av betygen (1–5 stjärnor) för periodens besök."],
      ["Average rating", "Average of the 1–5 star ratings given for the period's visits."]],
    response_rate: [["Vastausprosentti", "Osuus palautepyynnöistä, joihin asiakas vastasi."],
      ["Svarsfrekvens", "Andelen förfrågningar om betyg som kunden svarade på."],
      ["Response rate", "Share of rating requests the client answered."]],
    winback_messages: [["Paluuviestit", "Poisjääneille asiakkaille lähetetyt ”kaipaamme sinua” -viestit."],
      ["Återvinningsmeddelanden", "”Vi saknar dig”-meddelanden till kunder som slutat komma."],
      ["Win-back messages", "“We miss you” messages sent to lapsed clients."]],
    winback_conversions: [["Paluuviestistä varanneet", "Paluuviestit, joita seurasi varaus 30 päivän sisällä."],
      ["Bokade efter meddelandet", "Återvinningsmeddelanden som följdes av en bokning inom 30 dagar."],
      ["Win-back conversions", "Win-back messages followed by a booking within 30 days."]],
    winback_conversion_rate: [["Paluuviestien teho", "Osuus paluuviesteistä, joita seurasi varaus 30 päivän sisällä."],
      ["Återvinningsgrad", "Andelen återvinningsmeddelanden som följdes av en bokning inom 30 dagar."],
      ["Win-back conversion", "Share of win-back messages followed by a booking within 30 days."]],
    winback_revenue_cents: [["Paluuviestien tuoma myynti", "Paluuviestin jälkeen varattujen ja toteutuneiden käyntien hinnat, viestin jaksolla."],
      ["Intäkter från återvinning", "Priset för besöken som bokades efter meddelandet och genomfördes, i meddelandets period."],
      ["Win-back revenue", "The price of the visits booked after a win-back message and completed, in the message's period."]]
  };
  var GROUPS = [
    ["g_clients", ["retention_rate", "new_clients", "returning_clients", "visit_frequency", "average_spend_cents"]],
    ["g_visits", ["visits", "revenue_cents", "no_show_rate", "cancellation_rate", "late_cancellation_rate",
      "no_show_rate_reminded", "no_show_rate_not_reminded"]],
    ["g_rebooking", ["rebooking_rate_30", "rebooking_rate_60", "rebooking_rate_90", "rebooked_before_leaving_rate"]],
    ["g_satisfaction", ["average_rating", "response_rate"]],
    ["g_winback", ["winback_messages", "winback_conversions", "winback_conversion_rate", "winback_revenue_cents"]]
  ];
  var LANGS = ["fi", "sv", "en"];
  var INTL = { fi: "fi-FI", sv: "sv-FI", en: "en-GB" };
  var VIEWS = ["today", "kpis", "clients", "followups", "feedback", "failed"];
  var TOKEN_KEY = "rebook.dashboard.token", LANG_KEY = "rebook.dashboard.lang";
  // The page is /admin or <stage>/admin: every other URL is relative to what precedes it.
  var BASE = location.pathname.replace(/admin\/?$/, "");

  var state = { lang: "fi", config: null, token: null, me: null, profile: null, data: {}, denied: {},
                calendarView: "day", period: null, view: "today" };

  function $(id) { return document.getElementById(id); }
  function t(key, vars) {
    var s = (T[state.lang] && T[state.lang][key]) || T.en[key] || key;
    return s.replace(/\{(\w+)\}/g, function (m, k) { return vars && vars[k] != null ? vars[k] : m; });
  }
  function el(tag, attrs) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "className") e.className = attrs[k];
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) e.setAttribute(k, attrs[k]);
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function intl() { return INTL[state.lang]; }
  function tz() { return (state.profile && state.profile.timezone) || "Europe/Helsinki"; }

  // --- formatting ---------------------------------------------------------------------
  function money(cents) {
    var currency = (state.profile && state.profile.currency) || "EUR";
    return new Intl.NumberFormat(intl(), { style: "currency", currency: currency }).format(cents / 100);
  }
  function number(v, digits) {
    return new Intl.NumberFormat(intl(), { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(v);
  }
  function percent(v) { return new Intl.NumberFormat(intl(), { style: "percent", maximumFractionDigits: 1 }).format(v); }
  function kpiValue(key, v) {
    if (v === null || v === undefined) return "–";
    if (/_cents$/.test(key)) return money(v);
    if (/rate/.test(key)) return percent(v);
    if (key === "average_rating") return number(v, 1);
    if (key === "visit_frequency") return number(v, 2);
    return number(v, 0);
  }
  function day(iso, opts) {  // "2026-11-23" (a local date) in words
    var p = iso.slice(0, 10).split("-");
    var d = new Date(Date.UTC(+p[0], +p[1] - 1, +p[2], 12));
    return new Intl.DateTimeFormat(intl(), Object.assign({ timeZone: "UTC" }, opts || { day: "numeric", month: "numeric", year: "numeric" })).format(d);
  }
  function monthName(ym, short) {
    var p = ym.split("-");
    return new Intl.DateTimeFormat(intl(), { timeZone: "UTC", month: short ? "short" : "long", year: "numeric" })
      .format(new Date(Date.UTC(+p[0], +p[1] - 1, 15)));
  }
  function clock(iso) { return iso.slice(11, 16); }  // times come in the business's own offset
  function todayIso() {
    return new Intl.DateTimeFormat("en-CA", { timeZone: tz(), year: "numeric", month: "2-digit", day: "2-digit" })
      .format(new Date());
  }
  function serviceName(id, fallback) {
    var s = state.profile && state.profile.services.filter(function (x) { return x.id === id; })[0];
    return (s && (s.name[state.lang] || s.name.fi || s.name.en)) || fallback || id || "";
  }
  function staffName(id) {
    var s = state.profile && state.profile.staff.filter(function (x) { return x.id === id; })[0];
    return s ? s.name : id || "";
  }

  // --- the API ------------------------------------------------------------------------
  function request(method, url, body, headers) {
    var init = { method: method, headers: headers || {} };
    if (body !== undefined) { init.body = JSON.stringify(body); init.headers["Content-Type"] = "application/json"; }
    return fetch(url, init).then(function (r) {
      return r.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (r.ok) return data;
        var err = (data && data.error) || { code: "http_" + r.status, message: (data && data.message) || r.statusText };
        err.status = r.status;
        throw err;
      });
    });
  }
  function api(method, path, body) {
    var token = state.token;
    return request(method, BASE + "api/v1/admin" + path, body, { Authorization: "Bearer " + token })
      .catch(function (err) {
        if (token !== state.token) throw err;
        if (err.status === 401) { signOut("session_ended"); throw err; }
        if (err.status === 403 && err.code !== "owner_only" && path !== "/me") {
          // The gateway refuses a token that expired or was revoked with 403 too: is it the session?
          return api("GET", "/me").then(function () { throw err; }, function () { throw err; });
        }
        if (err.status === 403 && path === "/me") signOut("session_ended");
        throw err;
      });
  }

  // --- language -----------------------------------------------------------------------
  function pickLanguage() {
    var stored = null;
    try { stored = localStorage.getItem(LANG_KEY); } catch (e) { stored = null; }
    if (LANGS.indexOf(stored) >= 0) return stored;
    var served = document.documentElement.lang;  // from the browser's Accept-Language
    return LANGS.indexOf(served) >= 0 ? served : "fi";
  }
  function applyLanguage() {
    document.documentElement.lang = state.lang;
    $("lang").value = state.lang;
    Array.prototype.forEach.call(document.querySelectorAll("[data-t]"), function (n) { n.textContent = t(n.getAttribute("data-t")); });
    Array.prototype.forEach.call(document.querySelectorAll("[data-t-label]"), function (n) {
      n.setAttribute("aria-label", t(n.getAttribute("data-t-label")));
    });
    if (state.me) renderAll();
    document.title = (state.me ? state.me.business.name + " – " : "") + "Rebook";
  }

  // --- signing in ---------------------------------------------------------------------
  var challenge = null;  // Cognito's NEW_PASSWORD_REQUIRED or SOFTWARE_TOKEN_MFA: {name, session, username}

  function cognito(target, body) {
    return fetch("https://cognito-idp." + state.config.region + ".amazonaws.com/", {
        method: "POST", body: JSON.stringify(body),
        headers: { "Content-Type": "application/x-amz-json-1.1",
                   "X-Amz-Target": "AWSCognitoIdentityProviderService." + target }
      }).then(function (r) {
        return r.json().then(function (data) {
          if (r.ok) return data;
          throw { code: String(data.__type || "").split("#").pop(), message: data.message || "" };
        });
      });
  }
  function cognitoResult(data, username) {
    if (data.AuthenticationResult && data.AuthenticationResult.IdToken) return data.AuthenticationResult.IdToken;
    var boxes = { NEW_PASSWORD_REQUIRED: "new-password", SOFTWARE_TOKEN_MFA: "mfa-code" };
    if (boxes[data.ChallengeName]) {
      challenge = { name: data.ChallengeName, session: data.Session, username: username };
      $("credentials").hidden = true;
      $("new-password-box").hidden = data.ChallengeName !== "NEW_PASSWORD_REQUIRED";
      $("mfa-box").hidden = data.ChallengeName !== "SOFTWARE_TOKEN_MFA";
      $(boxes[data.ChallengeName]).value = "";
      $(boxes[data.ChallengeName]).focus();
      return null;
    }
    throw { code: "unsupported_challenge", message: data.ChallengeName || "" };
  }
  function signInWith(email, password) {
    var mode = state.config && state.config.auth;
    if (mode === "local") {
      return request("POST", BASE + "dev/sign-in", { email: email, password: password }).then(function (d) { return d.token; });
    }
    if (mode !== "cognito") return Promise.reject({ code: "no_sign_in" });
    var clientId = state.config.client_id;
    if (challenge) {
      var answer = { USERNAME: challenge.username };
      if (challenge.name === "NEW_PASSWORD_REQUIRED") answer.NEW_PASSWORD = $("new-password").value;
      else answer.SOFTWARE_TOKEN_MFA_CODE = $("mfa-code").value.trim();
      return cognito("RespondToAuthChallenge", {
        ChallengeName: challenge.name, ClientId: clientId, Session: challenge.session, ChallengeResponses: answer
      }).then(function (d) { return cognitoResult(d, challenge.username); });
    }
    return cognito("InitiateAuth", {
      AuthFlow: "USER_PASSWORD_AUTH", ClientId: clientId, AuthParameters: { USERNAME: email, PASSWORD: password }
    }).then(function (d) { return cognitoResult(d, email); });
  }
  function onSignIn(e) {
    e.preventDefault();
    var email = $("email").value.trim(), password = $("password").value, button = e.target.querySelector("button[type=submit]");
    var error = $("sign-in-error");
    error.textContent = "";
    if (!challenge && (!email || !password)) { error.textContent = t("fill_both"); return; }
    button.disabled = true;
    button.textContent = t("signing_in");
    signInWith(email, password).then(function (token) {
      if (!token) return;
      challenge = null;
      setToken(token);
      $("password").value = "";
      $("new-password").value = "";
      $("mfa-code").value = "";
      return start();
    }).catch(function (err) {
      var code = err && err.code;
      if (code === "NotAuthorizedException" && challenge) {
        resetChallenge();  // the challenge's session ran out: from the top
        error.textContent = t("sign_in_failed");
      } else if (code === "invalid_credentials" || code === "NotAuthorizedException" || code === "UserNotFoundException") {
        error.textContent = t("bad_credentials");
      } else if (code === "CodeMismatchException" || code === "ExpiredCodeException") {
        error.textContent = t("bad_code");
      } else if (code === "InvalidPasswordException") {
        error.textContent = t("password_rules", { message: err.message });
      } else if (code === "no_sign_in") {
        error.textContent = t("no_sign_in");
      } else {
        error.textContent = t("sign_in_failed");
      }
    }).then(function () {
      button.disabled = false;
      button.textContent = t("sign_in");
    });
  }
  function resetChallenge() {
    challenge = null;
    $("credentials").hidden = false;
    $("new-password-box").hidden = true;
    $("mfa-box").hidden = true;
  }
  function setToken(token) {
    state.token = token;
    try {
      if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* private mode: the token lives as long as the page */ }
  }
  function showSignIn(note) {
    $("booting").hidden = true;
    $("app").hidden = true;
    $("sign-out").hidden = true;
    $("sign-in").hidden = false;
    resetChallenge();
    $("sign-in-note").textContent = note ? t(note) : "";
    document.title = "Rebook";
  }
  function signOut(note) {
    setToken(null);
    state.me = null;
    state.data = {};
    state.denied = {};
    ["calendar", "kpis", "retention", "followups", "feedback", "failed", "feedback-summary", "status", "who", "cal-range"]
      .forEach(function (id) { clear($(id)).removeAttribute("aria-busy"); });
    VIEWS.forEach(function (v) { setCount(v, null); });
    showSignIn(note);
  }

  // --- starting -----------------------------------------------------------------------
  function start() {
    return api("GET", "/me").then(function (me) {
      state.me = me;
      return request("GET", BASE + "api/v1/businesses/" + encodeURIComponent(me.business.slug)).catch(function () { return null; });
    }).then(function (profile) {
      if (!state.me) return;
      state.profile = profile;
      $("booting").hidden = true;
      $("sign-in").hidden = true;
      $("app").hidden = false;
      $("sign-out").hidden = false;
      applyLanguage();
      route();
      loadAll();
    }).catch(function (err) {
      if (err && (err.status === 401 || err.status === 403)) return;  // back at the sign-in form already
      showSignIn("sign_in_failed");
    });
  }
  function loadAll() { LOADERS.forEach(function (l) { load(l[0]); }); }

  var LOADERS = [
    ["today", function () { return api("GET", "/calendar?view=" + state.calendarView); }],
    ["kpis", function () { return api("GET", "/kpis?period=" + periodKey(state.period)); }],
    ["clients", function () { return api("GET", "/retention"); }],
    ["followups", function () { return api("GET", "/follow-ups/due"); }],
    ["feedback", function () { return api("GET", "/feedback"); }],
    ["failed", function () { return api("GET", "/messages/failed"); }]
  ];
  var CONTAINERS = { today: "calendar", kpis: "kpis", clients: "retention", followups: "followups", feedback: "feedback", failed: "failed" };

  var requests = {};  // view -> number of its latest request
  function load(view) {
    var loader = LOADERS.filter(function (l) { return l[0] === view; })[0][1];
    var box = $(CONTAINERS[view]);
    if (!state.data[view]) { clear(box).appendChild(el("p", { className: "muted", text: t("loading") })); }
    var token = state.token, seq = (requests[view] || 0) + 1;
    requests[view] = seq;
    box.setAttribute("aria-busy", "true");
    // Only the latest request of the view counts (periods clicked through quickly), and
    // nothing that arrives after signing out is kept.
    function current() { return token === state.token && seq === requests[view]; }
    return loader().then(function (data) {
      if (current()) state.data[view] = { ok: data };
    }, function (err) {
      if (!current()) return;
      if (err.status === 403) state.denied[view] = true;
      state.data[view] = { error: err };
    }).then(function () {
      if (!current()) return;
      box.removeAttribute("aria-busy");
      if (state.me) { render(view); route(); }
    });
  }

  // --- views and routing --------------------------------------------------------------
  function route() {
    var wanted = (location.hash || "#today").slice(1);
    if (VIEWS.indexOf(wanted) < 0 || state.denied[wanted]) wanted = "today";
    state.view = wanted;
    VIEWS.forEach(function (v) {
      $("view-" + v).hidden = v !== wanted || !!state.denied[v];
      var tab = document.querySelector("#tabs a[data-view=" + v + "]");
      tab.hidden = !!state.denied[v];
      if (v === wanted) tab.setAttribute("aria-current", "page"); else tab.removeAttribute("aria-current");
    });
  }
  function renderAll() {
    var who = $("who");
    var role = state.me.role === "owner" ? t("role_owner") : t("role_staff");
    who.textContent = state.me.staff_id ? role + " · " + staffName(state.me.staff_id) : role;
    $("business-name").textContent = state.me.business.name;
    VIEWS.forEach(render);
    renderPeriod();
    $("cal-day").setAttribute("aria-pressed", String(state.calendarView === "day"));
    $("cal-week").setAttribute("aria-pressed", String(state.calendarView === "week"));
  }
  function render(view) {
    var entry = state.data[view];
    if (!entry) return;
    var box = clear($(CONTAINERS[view]));
    if (entry.error) {
      if (view === "kpis" && entry.error.status === 404) { box.appendChild(el("p", { className: "muted", text: t("kpis_unavailable") })); return; }
      box.appendChild(el("p", { className: "error", text: t("load_failed") + " " + (entry.error.message || "") }));
      var retry = el("button", { type: "button", className: "plain", text: t("retry") });
      retry.addEventListener("click", function () { load(view); });
      box.appendChild(retry);
      setCount(view, null);
      return;
    }
    RENDER[view](box, entry.ok);
  }
  function setCount(view, n) {
    var badge = $("count-" + view);
    if (!badge) return;
    badge.hidden = !n;
    badge.textContent = n ? String(n) : "";
  }
  function say(message, bad) {
    var s = $("status");
    s.textContent = message;
    s.className = bad ? "status bad" : "status";
  }
  function empty(box, key) {
    var tag = box.tagName === "UL" ? "li" : "p";
    box.appendChild(el(tag, { className: "muted", text: t(key) }));
  }

  var RENDER = {
    today: function (box, data) {
      $("cal-range").textContent = data.view === "week"
        ? day(data.from) + " – " + day(data.to)
        : day(data.from, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
      data.staff.forEach(function (member) {
        var card = el("section", { className: "card", "aria-label": member.name });
        var n = member.appointments.filter(function (a) { return a.status !== "cancelled"; }).length;
        card.appendChild(el("h3", { text: member.name }));
        card.appendChild(el("p", { className: "muted", text: t("appointments_n", { n: n }) }));
        if (!member.appointments.length) { empty(card, "no_appointments"); box.appendChild(card); return; }
        var list = el("ul", { className: "list" });
        member.appointments.forEach(function (a) {
          var when = data.view === "week" ? day(a.start, { weekday: "short", day: "numeric", month: "numeric" }) + " " + clock(a.start) : clock(a.start);
          list.appendChild(el("li", { className: a.outcome === "cancelled" ? "cancelled" : null },
            el("div", { className: "row" },
              el("span", { className: "time", text: when + "–" + clock(a.end) }),
              el("span", { className: "who", text: a.client.name || "" }),
              el("span", { className: "tag " + a.outcome, text: t("o_" + a.outcome) })),
            el("div", { className: "what muted", text: serviceName(a.service.id, a.service.name) })));
        });
        card.appendChild(list);
        box.appendChild(card);
      });
    },
    kpis: function (box, data) {
      var inPeriod = monthsOf(state.period);
      GROUPS.forEach(function (group) {
        var section = el("section", { className: "kpi-group" }, el("h3", { text: t(group[0]) }));
        var tiles = el("div", { className: "tiles" });
        group[1].forEach(function (key) {
          var figure = (data.kpis || {})[key] || { value: null };
          var words = KPI[key][LANGS.indexOf(state.lang)];
          var tile = el("article", { className: "tile", "data-kpi": key },
            el("h4", { text: words[0] }),
            el("p", { className: "value", text: kpiValue(key, figure.value) }));
          if (/rate/.test(key) && figure.denominator) {
            tile.appendChild(el("p", { className: "fraction", text: number(figure.numerator, 0) + " / " + number(figure.denominator, 0) }));
          }
          tile.appendChild(chart(key, words[0], data.trend || [], inPeriod));
          tile.appendChild(el("details", {}, el("summary", { text: t("what_is") }), el("p", { text: words[1] })));
          tiles.appendChild(tile);
        });
        section.appendChild(tiles);
        box.appendChild(section);
      });
    },
    clients: function (box, data) {
      setCount("clients", data.clients.length);
      if (!data.clients.length) { empty(box, "no_slipping"); return; }
      data.clients.forEach(function (c) {
        var name = c.client.name;
        var li = el("li", { "data-client": c.client.id },
          el("div", { className: "row" }, el("span", { className: "who", text: name }),
            el("span", { className: "tag " + c.status, text: t(c.status) })),
          el("p", { className: "muted", text: t("last_visit", { date: day(c.last_visit) }) +
            (c.last_service && c.last_service.id ? " · " + serviceName(c.last_service.id, c.last_service.name) : "") +
            " · " + t("expected", { date: day(c.expected_visit) }) }),
          el("p", { className: "muted", text: t("visits_spend", { visits: c.visits, spend: money(c.spend_cents) }) }));
        var actions = el("div", { className: "actions" });
        actions.appendChild(action(t("act_message"), name, function () { openMessage(c.client); }));
        actions.appendChild(action(t("act_maintenance"), name, function (b) { setMaintenance(c.client, b); }));
        actions.appendChild(action(t("act_followup"), name, function () { openFollowUp(c.client); }));
        li.appendChild(actions);
        box.appendChild(li);
      });
    },
    followups: function (box, data) {
      setCount("followups", data.follow_ups.length);
      if (!data.follow_ups.length) { empty(box, "no_followups"); return; }
      var today = todayIso();
      data.follow_ups.forEach(function (f) {
        var open = (f.actions || []).filter(function (a) { return !a.done; });
        var what = f.next_step || (open[0] && open[0].text) || f.goal || "";
        var name = (f.client && f.client.name) || "";
        var late = f.due && f.due < today;
        var li = el("li", { "data-followup": f.id },
          el("div", { className: "row" }, el("span", { className: "who", text: name }),
            el("span", { className: "tag" + (late ? " overdue" : ""), text: late ? t("overdue") : t("due_on", { date: day(f.due || today) }) })),
          el("p", { text: what }));
        if (late) li.appendChild(el("p", { className: "muted", text: t("due_on", { date: day(f.due) }) }));
        var actions = el("div", { className: "actions" });
        actions.appendChild(action(t("mark_done"), name, function (b) { markDone(f, b); }));
        li.appendChild(actions);
        box.appendChild(li);
      });
    },
    feedback: function (box, data) {
      // The report counts the low ones (at or under the business's threshold): the
      // lowest `low` ratings are exactly those.
      var low = data.ratings.slice().sort(function (a, b) { return a.rating - b.rating; }).slice(0, data.low || 0)
        .sort(function (a, b) { return a.visit_start < b.visit_start ? 1 : -1; });
      setCount("feedback", low.length);
      $("feedback-summary").textContent = data.count
        ? t("feedback_summary", { count: data.count, avg: number(data.average, 2) }) : "";
      if (!low.length) { empty(box, "no_low"); return; }
      low.forEach(function (r) {
        var li = el("li", {},
          el("div", { className: "row" },
            el("span", { className: "stars", "aria-hidden": "true", text: "★★★★★".slice(0, r.rating) + "☆☆☆☆☆".slice(0, 5 - r.rating) }),
            el("span", { className: "vh", text: t("stars", { n: r.rating }) }),
            el("span", { className: "who", text: (r.client && r.client.name) || "" }),
            el("span", { className: "muted", text: day(r.visit_start) })),
          el("p", { className: "muted", text: [serviceName(r.service), staffName(r.staff)].filter(Boolean).join(" · ") }));
        if (r.comment) li.appendChild(el("blockquote", { text: r.comment }));
        box.appendChild(li);
      });
    },
    failed: function (box, data) {
      setCount("failed", data.messages.length);
      if (!data.messages.length) { empty(box, "no_failed"); return; }
      data.messages.forEach(function (m) {
        box.appendChild(el("li", { "data-message": m.key },
          el("div", { className: "row" },
            el("span", { className: "who", text: m.client_name || "" }),
            el("span", { className: "tag", text: t("k_" + m.kind) === "k_" + m.kind ? m.kind : t("k_" + m.kind) }),
            el("span", { className: "muted", text: m.channel === "sms" ? t("ch_sms") : t("ch_email") })),
          el("p", { className: "muted", text: (m.failed_at ? day(m.failed_at) + " " + clock(m.failed_at) + " · " : "") + failure(m.error) })));
      });
    }
  };
  function failure(reason) {
    if (!reason) return "";
    if (reason === "opted_out") return t("e_opted_out");
    if (/InvalidPhoneNumber/.test(reason)) return t("e_invalid_phone");
    if (/MessageRejected/.test(reason)) return t("e_rejected");
    return reason;
  }
  function action(label, name, fn) {
    // The visible words, and for screen readers whom they are about.
    var b = el("button", { type: "button", "aria-label": label + ": " + name }, label);
    b.addEventListener("click", function () { fn(b); });
    return b;
  }

  // --- KPI periods and charts ---------------------------------------------------------
  function currentPeriod(kind) {
    var today = todayIso();
    return { kind: kind || "month", year: +today.slice(0, 4), month: +today.slice(5, 7) };
  }
  function periodKey(p) {
    if (p.kind === "year") return String(p.year);
    if (p.kind === "quarter") return p.year + "-Q" + Math.ceil(p.month / 3);
    return p.year + "-" + (p.month < 10 ? "0" : "") + p.month;
  }
  function periodStart(p) {  // months since year 0 of the period's first month
    var first = p.kind === "year" ? 1 : p.kind === "quarter" ? (Math.ceil(p.month / 3) - 1) * 3 + 1 : p.month;
    return p.year * 12 + first - 1;
  }
  function shifted(p, step) {
    var n = { year: 12, quarter: 3, month: 1 }[p.kind] * step;
    var m = p.year * 12 + p.month - 1 + n;
    return { kind: p.kind, year: Math.floor(m / 12), month: m % 12 + 1 };
  }
  function monthsOf(p) {
    var start = periodStart(p), len = { year: 12, quarter: 3, month: 1 }[p.kind], out = {};
    for (var i = 0; i < len; i++) {
      var m = start + i;
      out[Math.floor(m / 12) + "-" + (m % 12 < 9 ? "0" : "") + (m % 12 + 1)] = true;
    }
    return out;
  }
  function renderPeriod() {
    var p = state.period;
    $("period-kind").value = p.kind;
    $("period-label").textContent = p.kind === "year" ? String(p.year)
      : p.kind === "quarter" ? t("quarter_label", { q: Math.ceil(p.month / 3), y: p.year }) : monthName(periodKey(p));
    $("period-next").disabled = periodStart(shifted(p, 1)) > periodStart(currentPeriod("month"));
  }
  var SVG = "http://www.w3.org/2000/svg", chartIds = 0;
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { if (k === "text") e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]); });
    return e;
  }
  function chart(key, name, trend, highlight) {
    var id = "chart-" + (++chartIds), values = trend.map(function (m) { return m.kpis ? m.kpis[key] : null; });
    var max = Math.max.apply(null, values.filter(function (v) { return v !== null && v !== undefined; }).concat([0]));
    var box = el("div", { className: "trend" });
    var graphic = svg("svg", { viewBox: "0 0 120 40", preserveAspectRatio: "none", role: "img", "class": "chart",
                               "aria-labelledby": id + "-t " + id + "-d", focusable: "false" });
    graphic.appendChild(svg("title", { id: id + "-t", text: t("trend", { kpi: name }) }));
    graphic.appendChild(svg("desc", { id: id + "-d", text: trend.map(function (m, i) {
      var v = values[i];
      return monthName(m.month, true) + ": " + (v === null || v === undefined ? t("no_value") : kpiValue(key, v));
    }).join("; ") }));
    var w = 120 / Math.max(trend.length, 1);
    trend.forEach(function (m, i) {
      var v = values[i], has = v !== null && v !== undefined;
      var h = has && max > 0 ? Math.max(39 * v / max, v > 0 ? 1 : 0) : 0;
      var bar = svg("rect", { x: (i * w + w * 0.15).toFixed(2), width: (w * 0.7).toFixed(2), y: (39 - h).toFixed(2),
                              height: h.toFixed(2), "class": "bar" + (highlight[m.month] ? " current" : "") });
      bar.appendChild(svg("title", { text: monthName(m.month, true) + ": " + (has ? kpiValue(key, v) : t("no_value")) }));
      graphic.appendChild(bar);
    });
    graphic.appendChild(svg("line", { x1: 0, x2: 120, y1: 39.5, y2: 39.5, "class": "base" }));
    box.appendChild(graphic);
    if (trend.length) {
      box.appendChild(el("div", { className: "axis", "aria-hidden": "true" },
        el("span", { text: monthName(trend[0].month, true) }), el("span", { text: monthName(trend[trend.length - 1].month, true) })));
    }
    return box;
  }

  // --- actions ------------------------------------------------------------------------
  var dialogClient = null;
  function openDialog(d, focus) {
    if (typeof d.showModal === "function") d.showModal(); else d.setAttribute("open", "");
    focus.focus();
  }
  function closeDialog(d) { if (typeof d.close === "function") d.close(); else d.removeAttribute("open"); }
  function busy(button, on) { if (button) button.disabled = on; }
  function failed(err) { say(t("action_failed", { message: (err && err.message) || "" }), true); }

  function openMessage(client) {
    dialogClient = client;
    $("message-title").textContent = t("message_to", { name: client.name });
    $("message-text").value = "";
    openDialog($("message-dialog"), $("message-text"));
  }
  function sendMessage(e) {
    e.preventDefault();
    var client = dialogClient, text = $("message-text").value.trim(), button = e.target.querySelector("[type=submit]");
    if (!text) { $("message-text").focus(); return; }
    busy(button, true);
    api("POST", "/clients/" + client.id + "/messages", { text: text }).then(function () {
      closeDialog($("message-dialog"));
      say(t("sent", { name: client.name }));
      setTimeout(function () { load("failed"); }, 1500);  // a message that could not go shows up there
    }, function (err) {
      closeDialog($("message-dialog"));
      if (["no_consent", "no_contact", "capped"].indexOf(err.code) >= 0) say(t(err.code, { name: client.name }), true);
      else failed(err);
    }).then(function () { busy(button, false); });
  }
  function setMaintenance(client, button) {
    busy(button, true);
    api("PATCH", "/clients/" + client.id, { relationship: "maintenance" }).then(function () {
      say(t("maintenance_done", { name: client.name }));
      return load("clients").then(function () { $("h-clients").focus(); });  // the button is gone
    }, failed).then(function () { busy(button, false); });
  }
  function openFollowUp(client) {
    dialogClient = client;
    $("followup-title").textContent = t("followup_for", { name: client.name });
    $("followup-text").value = t("default_followup");
    $("followup-due").value = todayIso();
    openDialog($("followup-dialog"), $("followup-text"));
  }
  function addFollowUp(e) {
    e.preventDefault();
    var client = dialogClient, text = $("followup-text").value.trim(), due = $("followup-due").value;
    var button = e.target.querySelector("[type=submit]");
    if (!text || !due) { (text ? $("followup-due") : $("followup-text")).focus(); return; }
    busy(button, true);
    api("POST", "/clients/" + client.id + "/follow-ups", { next_step: text, actions: [{ text: text, due: due }] }).then(function () {
      closeDialog($("followup-dialog"));
      say(t("followup_added", { name: client.name, date: day(due) }));
      return load("followups");
    }, function (err) { closeDialog($("followup-dialog")); failed(err); }).then(function () { busy(button, false); });
  }
  function markDone(f, button) {
    busy(button, true);
    var body = { goal: f.goal, next_step: f.next_step, closed: true,
                 actions: (f.actions || []).map(function (a) { return { text: a.text, due: a.due, staff: a.staff, done: true }; }) };
    api("PUT", "/clients/" + f.client.id + "/follow-ups/" + f.id, body).then(function () {
      say(t("followup_done", { name: f.client.name || "" }));
      return load("followups").then(function () { $("h-followups").focus(); });
    }, failed).then(function () { busy(button, false); });
  }

  // --- wiring -------------------------------------------------------------------------
  function boot() {
    state.lang = pickLanguage();
    state.period = currentPeriod("month");
    applyLanguage();
    $("lang").addEventListener("change", function (e) {
      state.lang = LANGS.indexOf(e.target.value) >= 0 ? e.target.value : "fi";
      try { localStorage.setItem(LANG_KEY, state.lang); } catch (err) { /* not remembered */ }
      applyLanguage();
    });
    $("sign-in-form").addEventListener("submit", onSignIn);
    $("sign-out").addEventListener("click", function () { signOut("signed_out"); $("email").focus(); });
    window.addEventListener("hashchange", function () {
      if (!state.me) return;
      var before = state.view;
      route();
      if (state.view !== before) say("");  // a note about another view's action is stale here
    });
    $("cal-day").addEventListener("click", function () { state.calendarView = "day"; renderAll(); load("today"); });
    $("cal-week").addEventListener("click", function () { state.calendarView = "week"; renderAll(); load("today"); });
    $("period-kind").addEventListener("change", function (e) { state.period.kind = e.target.value; renderPeriod(); load("kpis"); });
    $("period-prev").addEventListener("click", function () { state.period = shifted(state.period, -1); renderPeriod(); load("kpis"); });
    $("period-next").addEventListener("click", function () { state.period = shifted(state.period, 1); renderPeriod(); load("kpis"); });
    $("message-form").addEventListener("submit", sendMessage);
    $("followup-form").addEventListener("submit", addFollowUp);
    Array.prototype.forEach.call(document.querySelectorAll("dialog [data-close]"), function (b) {
      b.addEventListener("click", function () { closeDialog(b.closest("dialog")); });
    });
    try { state.token = sessionStorage.getItem(TOKEN_KEY); } catch (e) { state.token = null; }
    request("GET", BASE + "admin/config.json").then(function (config) {
      state.config = config;
      if (state.token) return start();
      showSignIn(config.auth === "local" || config.auth === "cognito" ? null : "no_sign_in");
    }).catch(function () { showSignIn("sign_in_failed"); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot); else boot();
})();
