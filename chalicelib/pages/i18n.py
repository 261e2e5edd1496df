"""Words of the client pages in fi, sv and en."""
from __future__ import annotations

STRINGS = {
    "fi": {
        "unsubscribe_title": "Markkinointiviestit", "unsubscribe_button": "Peru markkinointiviestit",
        "unsubscribe_question": "Haluatko lopettaa tarjousten ja kuulumisten vastaanottamisen ({business})?",
        "unsubscribed": "Et saa enää markkinointiviestejä ({business}).",
        "unsubscribe_still_transactional": "Varausvahvistukset ja muistutukset tulevat edelleen.",
        "rate_title": "Miten onnistuimme?", "rate_intro": "Arvioi käyntisi: {service}, {when}.",
        "stars": "tähteä", "comment": "Kommentti (valinnainen)", "send_rating": "Lähetä arvio",
        "rate_choose": "Valitse 1–5 tähteä.", "rated_already": "Arviosi on {rating}/5. Voit muuttaa sitä.",
        "thanks": "Kiitos palautteestasi!", "review_invite": "Kerro kokemuksestasi myös muille:",
        "review_button": "Kirjoita arvostelu", "book_next": "Varaa seuraava aikasi",
        "visit_not_rateable": "Tätä käyntiä ei voi arvioida, koska se peruttiin tai jäi väliin.",
        "book": "Varaa aika", "choose_service": "Valitse palvelu", "choose_time": "Valitse aika",
        "anyone": "Kuka tahansa", "staff": "Tekijä", "your_details": "Yhteystietosi", "name": "Nimi",
        "phone": "Puhelin", "email": "Sähköposti", "marketing": "Saa lähettää minulle tarjouksia ja muistutuksia palata",
        "note": "Lisätietoja (valinnainen)", "confirm": "Vahvista varaus", "booked": "Varaus vahvistettu!",
        "your_booking": "Varauksesi", "when": "Aika", "service": "Palvelu", "price": "Hinta",
        "cancel": "Peru varaus", "cancel_reason": "Syy (valinnainen)", "reschedule": "Siirrä varaus",
        "new_time": "Valitse uusi aika", "cancelled": "Varaus on peruttu.", "moved": "Varaus on siirretty.",
        "book_again": "Varaa uusi aika", "no_slots": "Ei vapaita aikoja tänä päivänä.",
        "change_until": "Voit perua tai siirtää varauksen verkossa {deadline} asti.",
        "too_late": "Varausta ei voi enää muuttaa verkossa. Soita meille: {phone}",
        "status_cancelled": "Peruttu", "status_booked": "Vahvistettu", "manage": "Hallitse varausta",
        "times_in": "Ajat ovat aikavyöhykkeellä {tz}.", "prev": "Edellinen päivä", "next": "Seuraava päivä",
        "reminders": "Muistutukset", "reminders_are_on": "Saat muistutuksen ennen käyntiä.",
        "reminders_are_off": "Muistutukset ovat pois päältä.", "turn_reminders_off": "Poista muistutukset",
        "turn_reminders_on": "Ota muistutukset käyttöön", "reminders_off": "Muistutukset poistettu.",
        "reminders_on": "Muistutukset otettu käyttöön.",
        "error": "Virhe", "back": "Takaisin", "minutes": "min", "add_to_calendar": "Lisää kalenteriin",
    },
    "sv": {
        "unsubscribe_title": "Marknadsföring", "unsubscribe_button": "Avsluta marknadsföringen",
        "unsubscribe_question": "Vill du sluta få erbjudanden och nyheter ({business})?",
        "unsubscribed": "Du får inte längre marknadsföring ({business}).",
        "unsubscribe_still_transactional": "Bokningsbekräftelser och påminnelser kommer fortfarande.",
        "rate_title": "Hur lyckades vi?", "rate_intro": "Betygsätt ditt besök: {service}, {when}.",
        "stars": "stjärnor", "comment": "Kommentar (valfri)", "send_rating": "Skicka betyget",
        "rate_choose": "Välj 1–5 stjärnor.", "rated_already": "Ditt betyg är {rating}/5. Du kan ändra det.",
        "thanks": "Tack för din feedback!", "review_invite": "Berätta gärna om din upplevelse för andra:",
        "review_button": "Skriv en recension", "book_next": "Boka ditt nästa besök",
        "visit_not_rateable": "Det här besöket kan inte betygsättas eftersom det avbokades eller uteblev.",
        "book": "Boka tid", "choose_service": "Välj tjänst", "choose_time": "Välj tid",
        "anyone": "Vem som helst", "staff": "Personal", "your_details": "Dina uppgifter", "name": "Namn",
        "phone": "Telefon", "email": "E-post", "marketing": "Ni får skicka mig erbjudanden och påminnelser om att komma tillbaka",
        "note": "Tilläggsinformation (valfritt)", "confirm": "Bekräfta bokningen", "booked": "Bokningen är bekräftad!",
        "your_booking": "Din bokning", "when": "Tid", "service": "Tjänst", "price": "Pris",
        "cancel": "Avboka", "cancel_reason": "Orsak (valfritt)", "reschedule": "Flytta bokningen",
        "new_time": "Välj ny tid", "cancelled": "Bokningen är avbokad.", "moved": "Bokningen har flyttats.",
        "book_again": "Boka en ny tid", "no_slots": "Inga lediga tider denna dag.",
        "change_until": "Du kan avboka eller flytta bokningen på nätet till {deadline}.",
        "too_late": "Bokningen kan inte längre ändras på nätet. Ring oss: {phone}",
        "status_cancelled": "Avbokad", "status_booked": "Bekräftad", "manage": "Hantera bokningen",
        "times_in": "Tiderna anges i tidszonen {tz}.", "prev": "Föregående dag", "next": "Nästa dag",
        "reminders": "Påminnelser", "reminders_are_on": "Du får en påminnelse före besöket.",
        "reminders_are_off": "Påminnelserna är avstängda.", "turn_reminders_off": "Stäng av påminnelser",
        "turn_reminders_on": "Slå på påminnelser", "reminders_off": "Påminnelserna är avstängda.",
        "reminders_on": "Påminnelserna är påslagna.",
        "error": "Fel", "back": "Tillbaka", "minutes": "min", "add_to_calendar": "Lägg till i kalendern",
    },
    "en": {
        "unsubscribe_title": "Marketing messages", "unsubscribe_button": "Unsubscribe",
        "unsubscribe_question": "Stop receiving offers and news from {business}?",
        "unsubscribed": "You will not get marketing messages from {business} any more.",
        "unsubscribe_still_transactional": "Booking confirmations and reminders still come.",
        "rate_title": "How did we do?", "rate_intro": "Rate your visit: {service}, {when}.",
        "stars": "stars", "comment": "Comment (optional)", "send_rating": "Send rating",
        "rate_choose": "Choose 1 to 5 stars.", "rated_already": "Your rating is {rating}/5. You can change it.",
        "thanks": "Thank you for your feedback!", "review_invite": "Tell others about your experience too:",
        "review_button": "Write a review", "book_next": "Book your next visit",
        "visit_not_rateable": "This visit cannot be rated because it was cancelled or missed.",
        "book": "Book now", "choose_service": "Choose a service", "choose_time": "Choose a time",
        "anyone": "Anyone", "staff": "Staff", "your_details": "Your details", "name": "Name",
        "phone": "Phone", "email": "Email", "marketing": "You may send me offers and reminders to come back",
        "note": "Anything we should know? (optional)", "confirm": "Confirm booking", "booked": "Your booking is confirmed!",
        "your_booking": "Your booking", "when": "When", "service": "Service", "price": "Price",
        "cancel": "Cancel booking", "cancel_reason": "Reason (optional)", "reschedule": "Move booking",
        "new_time": "Choose a new time", "cancelled": "Your booking is cancelled.", "moved": "Your booking was moved.",
        "book_again": "Book a new time", "no_slots": "No free times on this day.",
        "change_until": "You can cancel or move this booking online until {deadline}.",
        "too_late": "This booking can no longer be changed online. Please call us: {phone}",
        "status_cancelled": "Cancelled", "status_booked": "Confirmed", "manage": "Manage booking",
        "times_in": "Times are shown in the {tz} time zone.", "prev": "Previous day", "next": "Next day",
        "reminders": "Reminders", "reminders_are_on": "You will get a reminder before your visit.",
        "reminders_are_off": "Reminders are turned off.", "turn_reminders_off": "Turn reminders off",
        "turn_reminders_on": "Turn reminders on", "reminders_off": "Reminders turned off.",
        "reminders_on": "Reminders turned on.",
        "error": "Error", "back": "Back", "minutes": "min", "add_to_calendar": "Add to calendar",
    },
}


def pick_locale(requested: str | None, accept_language: str | None, default: str) -> str:
    """?lang= wins, then the browser's Accept-Language, then the business default."""
    if requested in STRINGS:
        return requested
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in STRINGS:
            return code
    return default if default in STRINGS else "fi"


def words(locale: str) -> dict:
    return STRINGS.get(locale, STRINGS["fi"])
