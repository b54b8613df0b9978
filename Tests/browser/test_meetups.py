"""Journey 2 in a real browser: the Lyon ambassador publishes the monthly meal; members register;
the one past the capacity is waitlisted and promoted when someone cancels; the ambassador checks
people in; the calendar files are valid iCalendar (read with the independent `icalendar` parser)."""
import datetime
import re
import time
import urllib.request
import uuid
from zoneinfo import ZoneInfo

import icalendar
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_accounts import click_and_wait, fill, heading, sign_in, sign_out, submit

PARIS = ZoneInfo("Europe/Paris")


def set_value(driver, element_id, value):
    """Date-time inputs take their value through the DOM (typing depends on the browser's locale)."""
    driver.execute_script("arguments[0].value = arguments[1]", driver.find_element(By.ID, element_id), value)


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/calendar")
        return response.read()


def register(driver, server, address, note=""):
    sign_in(driver, server, address, server.demo_password)
    driver.get(EVENT["url"])
    if note:
        driver.find_element(By.ID, "register-note").send_keys(note)
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "#register button[type='submit']"))


EVENT = {}


def test_monthly_meal_register_waitlist_promote_check_in_calendar(driver, server, check_accessibility):
    title = f"Repas mensuel {uuid.uuid4().hex[:6]}"
    driver.delete_all_cookies()
    start = datetime.datetime.now(PARIS) + datetime.timedelta(minutes=20)
    end = start + datetime.timedelta(hours=3)

    # The Lyon ambassador publishes the monthly meal: a mistake first, kept and explained.
    sign_in(driver, server, "membre1@maillon.example", server.demo_password)
    driver.get(server.base + "/events")
    check_accessibility("events list")
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Nouvel événement"))
    assert heading(driver) == "Nouvel événement"
    check_accessibility("new event form")
    fill(driver, "event", title=title, description="Le grand repas du mois, au café.", venue_name="Café des Canuts",
         venue_address="12 rue d'Austerlitz, 69004 Lyon", capacity="2", cost_note="Chacun·e paie son repas", map_url="pas une adresse")
    Select(driver.find_element(By.ID, "event-kind")).select_by_value("monthly_meal")
    Select(driver.find_element(By.ID, "event-visibility")).select_by_value("public")
    set_value(driver, "event-starts_at", start.strftime("%Y-%m-%dT%H:%M"))
    set_value(driver, "event-ends_at", end.strftime("%Y-%m-%dT%H:%M"))
    submit(driver, "event")
    assert "Saisissez une adresse web complète" in driver.page_source
    assert driver.find_element(By.ID, "event-title").get_attribute("value") == title
    check_accessibility("event form with errors")
    driver.find_element(By.ID, "event-map_url").clear()
    submit(driver, "event")
    assert heading(driver) == title
    assert "2 places restantes sur 2" in driver.page_source
    EVENT["url"] = driver.current_url
    check_accessibility("event page (organiser)")
    sign_out(driver)

    # Two members take the seats; the third is waitlisted and sees their position.
    register(driver, server, "membre19@maillon.example", note="Végétarien")
    assert "Vous êtes inscrit·e." in driver.page_source
    check_accessibility("event page (registered)")
    sign_out(driver)
    register(driver, server, "membre28@maillon.example")
    sign_out(driver)
    register(driver, server, "membre10@maillon.example")
    assert "Vous êtes en position 1 sur la liste d'attente." in driver.page_source
    assert "0 place restante sur 2" in driver.page_source
    sign_out(driver)

    # One cancels: the first waiting gets the seat, and is told by mail with the calendar file.
    sign_in(driver, server, "membre19@maillon.example", server.demo_password)
    driver.get(EVENT["url"])
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "#unregister button"))
    assert "Votre inscription est annulée." in driver.page_source
    sign_out(driver)
    deadline = time.time() + 15
    promoted = []
    while not promoted and time.time() < deadline:
        promoted = [m for m in server.mails_to("membre10@maillon.example") if "une place s'est libérée" in str(m["Subject"])]
        time.sleep(0.2)
    assert promoted, "the promoted member is told"
    attachment = next(part for part in promoted[-1].iter_attachments() if part.get_content_type() == "text/calendar")
    invitation = icalendar.Calendar.from_ical(attachment.get_content())
    assert [str(e["SUMMARY"]) for e in invitation.walk("VEVENT")] == [title]
    sign_in(driver, server, "membre10@maillon.example", server.demo_password)
    driver.get(EVENT["url"])
    assert "Vous êtes inscrit·e." in driver.page_source
    sign_out(driver)

    # On the day, the ambassador checks people in from the attendee list.
    sign_in(driver, server, "membre1@maillon.example", server.demo_password)
    driver.get(EVENT["url"].rstrip("/") + "/attendees")
    check_accessibility("attendee list")
    assert "Membre" in driver.page_source or driver.find_elements(By.CSS_SELECTOR, "tbody tr")
    if start.date() == datetime.datetime.now(PARIS).date():
        first_row = driver.find_elements(By.CSS_SELECTOR, "tbody tr")[0]
        click_and_wait(driver, first_row.find_element(By.CSS_SELECTOR, "button[value='attended']"))
        assert "1 présent·e" in driver.page_source
    # Check-in happens on a phone: the list fits a 360px screen.
    driver.set_window_size(360, 800)
    try:
        driver.get(EVENT["url"].rstrip("/") + "/attendees")
        assert driver.execute_script("return document.documentElement.scrollWidth") <= 360
    finally:
        driver.set_window_size(1280, 900)
    sign_out(driver)

    # The calendar files: the event's, the chapter's public feed, a member's secret feed.
    event_ics = icalendar.Calendar.from_ical(fetch(EVENT["url"].rstrip("/") + "/calendar.ics"))
    [vevent] = list(event_ics.walk("VEVENT"))
    assert str(vevent["SUMMARY"]) == title
    assert vevent["DTSTART"].dt.tzinfo is not None and str(vevent["DTSTART"].params.get("TZID")) == "Europe/Paris"
    assert vevent["DTSTART"].dt.replace(tzinfo=None) == start.replace(second=0, microsecond=0, tzinfo=None)
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert list(event_ics.walk("VTIMEZONE"))
    feed = fetch(server.base + "/chapters/lyon/calendar.ics")
    chapter_ics = icalendar.Calendar.from_ical(feed)
    uids = [str(e["UID"]) for e in chapter_ics.walk("VEVENT")]
    assert str(vevent["UID"]) in uids and len(uids) == len(set(uids))
    for line in feed.split(b"\r\n"):
        assert len(line) <= 75
    assert b"ATTENDEE" not in feed and b"@maillon.example" not in feed and b"Membre " not in feed

    sign_in(driver, server, "membre10@maillon.example", server.demo_password)
    driver.get(server.base + "/account")
    check_accessibility("account with calendar feed")
    feed_url = driver.find_element(By.CSS_SELECTOR, "#calendar a").get_attribute("href")
    driver.delete_all_cookies()
    personal = fetch(feed_url)
    personal_ics = icalendar.Calendar.from_ical(personal)
    assert title in [str(e["SUMMARY"]) for e in personal_ics.walk("VEVENT")]
    assert b"membre10" not in personal and b"ATTENDEE" not in personal and b"Membre " not in personal

    # Visitors see the public meal and are asked to sign in to register.
    driver.get(EVENT["url"])
    assert heading(driver) == title
    assert "Se connecter pour s'inscrire" in driver.page_source
    check_accessibility("event page (visitor)")
