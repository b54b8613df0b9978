"""Journey 4 end to end, on a server of its own whose clock the test moves (CLOCK_OFFSET_FILE):
an admin schedules a two-day session and invites someone from outside; members and the guest enrol;
convocations go out; the trainees sign four half-days on their phones and the trainer countersigns
each; certificates and the hot survey go out; a trainee answers; the BPF shows the year's figures.
Every page on the way is checked with axe."""
import datetime
import time
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import clocked_server
from test_accounts import click_and_wait, fill, sign_in, submit
from test_trainings import download, pdf_text

PARIS = ZoneInfo("Europe/Paris")
TRAINING = "Fixer son prix juste de freelance à impact"
GUEST = "olga.dehors@example.org"


@pytest.fixture(scope="module")
def journey_server():
    yield from clocked_server("maillon-journey4-")


def wait_for(check, what, seconds=15):
    """Mail leaves through the job queue (the server's workers or `worker --drain`): wait for it."""
    deadline = time.time() + seconds
    while not check():
        assert time.time() < deadline, what
        time.sleep(0.2)


def move_clock(server, moment):
    """From now on, the server (and `worker --drain`) believe it is `moment`."""
    server.clock.write_text(str(int(moment.timestamp() - time.time())))


def bpf_row(driver, server, year, label):
    """(trainees, hours) on the BPF's line for `label` in the by-training table; zeros when absent."""
    driver.get(server.base + f"/admin/trainings/bpf?year={year}")
    for row in driver.find_elements(By.CSS_SELECTOR, "section[aria-labelledby='bpf-training-heading'] tbody tr"):
        if row.find_element(By.TAG_NAME, "th").text == label:
            cells = [cell.text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".") for cell in row.find_elements(By.TAG_NAME, "td")]
            return int(cells[0]), float(cells[1])
    return 0, 0.0


def enrol(driver, status, funding, **answers):
    """From the session page: the needs analysis, status and funding, both acknowledgements."""
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "S'inscrire"))
    fill(driver, "enrolment", **answers)
    Select(driver.find_element(By.ID, "enrolment-trainee_status")).select_by_value(status)
    Select(driver.find_element(By.ID, "enrolment-funding")).select_by_value(funding)
    driver.find_element(By.ID, "enrolment-ack_programme").click()
    driver.find_element(By.ID, "enrolment-ack_rules").click()
    submit(driver, "enrolment")
    assert "Inscription confirmée." in driver.page_source


class People:
    """One browser, a cookie jar per person: switching is instant, and nobody signs in twice."""

    def __init__(self, driver, server):
        self.driver, self.server, self.jars = driver, server, {}

    def be(self, address, password=None):
        driver = self.driver
        driver.get(self.server.base + "/healthz")
        driver.delete_all_cookies()
        if address in self.jars:
            for cookie in self.jars[address]:
                driver.add_cookie(cookie)
        else:
            sign_in(driver, self.server, address, password or self.server.demo_password)
            assert driver.find_elements(By.CSS_SELECTOR, "form[action='/sign-out']"), f"{address} could not sign in"
            self.jars[address] = driver.get_cookies()


def test_journey_4_from_scheduling_to_the_bpf(driver, journey_server, check_accessibility):
    server = journey_server
    people = People(driver, server)
    today = datetime.datetime.now(PARIS).replace(hour=0, minute=0, second=0, microsecond=0)
    day1, day2 = today + datetime.timedelta(days=10), today + datetime.timedelta(days=11)

    # An admin schedules a two-day session, then invites someone from outside the community.
    people.be("admin@maillon.example")
    trainees_before, hours_before = bpf_row(driver, server, day1.year, TRAINING)
    driver.get(server.base + "/trainings")
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, TRAINING))
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Programmer une session"))
    fill(driver, "session", venue_name="La Ruche", venue_address="24 rue de l'Est, Paris", capacity="6", trainers="membre3@maillon.example")
    for name, value in [("day1", day1.strftime("%Y-%m-%d")), ("day2", day2.strftime("%Y-%m-%d"))]:
        driver.execute_script("arguments[0].value = arguments[1]", driver.find_element(By.ID, f"session-{name}"), value)
    Select(driver.find_element(By.ID, "session-day2_part")).select_by_value("both")
    check_accessibility("scheduling a session")
    submit(driver, "session")
    assert "Session programmée." in driver.page_source
    session_url = driver.current_url
    assert session_url.startswith(server.base + "/trainings/sessions/")
    driver.get(session_url + "/trainees")
    fill(driver, "invitation", name="Olga Dehors", email="pas-une-adresse")
    submit(driver, "invitation")
    assert driver.find_element(By.ID, "invitation-name").get_attribute("value") == "Olga Dehors"
    check_accessibility("invitation refused")
    fill(driver, "invitation", email=GUEST)
    submit(driver, "invitation")
    assert "Invitation envoyée." in driver.page_source and GUEST in driver.page_source

    # Two members enrol, with the needs analysis.
    for address, expectation in [("membre20@maillon.example", "Oser annoncer mon prix"), ("membre21@maillon.example", "Construire ma grille")]:
        people.be(address)
        driver.get(session_url)
        enrol(driver, status="self_funded", funding="person", expectations=expectation)

    # The guest chooses a password from the mail, finds the session on her home page, and enrols.
    driver.delete_all_cookies()
    driver.get(server.link_in_last_mail(GUEST, "/password/reset"))
    fill(driver, "reset-password", password="une phrase de passe pour Olga")
    submit(driver, "reset-password")
    people.be(GUEST, "une phrase de passe pour Olga")
    driver.get(server.base + "/")
    check_accessibility("a guest's home")
    assert not driver.find_elements(By.CSS_SELECTOR, "a[href='/directory']")
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, f"a[href='{session_url[len(server.base):]}']"))
    enrol(driver, status="employee", funding="opco", expectations="Découvrir la tarification", adaptation="Documents en gros caractères")
    driver.get(server.base + "/directory")
    assert not driver.find_elements(By.CSS_SELECTOR, "a[href^='/members/']"), "no member is shown to a guest"

    # Five days before: the convocations go out, the time they left is kept.
    move_clock(server, day1 - datetime.timedelta(days=5) + datetime.timedelta(hours=10))
    server.drain()
    for address in ["membre20@maillon.example", "membre21@maillon.example", GUEST]:
        wait_for(lambda: len([m for m in server.mails_to(address) if m["Subject"].startswith("Convocation")]) == 1, f"convocation to {address}")
    people.be("admin@maillon.example")
    driver.get(session_url + "/trainees")
    assert driver.page_source.count("Convocation envoyée") == 3
    assert "Documents en gros caractères" in driver.page_source, "the admin sees the adaptation"

    # Four half-days: the trainer shows the code, each trainee signs on their phone, the trainer countersigns.
    starts = [day1.replace(hour=9), day1.replace(hour=13, minute=30), day2.replace(hour=9), day2.replace(hour=13, minute=30)]
    for index, start in enumerate(starts):
        move_clock(server, start + datetime.timedelta(minutes=15))
        people.be("membre3@maillon.example")
        driver.get(session_url + "/attendance")
        click_and_wait(driver, driver.find_elements(By.CSS_SELECTOR, "td a")[index])
        half_day_url = driver.current_url
        code = driver.find_element(By.CSS_SELECTOR, ".attendance-code").text
        if index == 0:
            check_accessibility("a half-day with its code")
        for address in ["membre20@maillon.example", "membre21@maillon.example", GUEST]:
            people.be(address)
            driver.get(server.base + "/sign")
            fill(driver, "code", code=code)
            submit(driver, "code")
            if index == 0 and address == GUEST:
                check_accessibility("signing a half-day")
            fill(driver, "signature", typed="Lu et signé")
            submit(driver, "signature")
            assert "Présence signée" in driver.page_source, (index, address)
        people.be("membre3@maillon.example")
        driver.get(half_day_url)
        assert driver.page_source.count("Signé à") == 3
        fill(driver, "countersign", typed="Formatrice Démo")
        submit(driver, "countersign")
        assert "Demi-journée contresignée et close." in driver.page_source

    # The evening of the second day: certificates and the hot survey go out.
    move_clock(server, day2.replace(hour=19))
    server.drain()
    def certificates():
        return [m for m in server.mails_to(GUEST) if any((part.get_filename() or "").endswith(".pdf") for part in m.iter_attachments())]
    wait_for(lambda: len(certificates()) == 1, "the certificate")
    certificates = certificates()
    attachment = next(part for part in certificates[0].iter_attachments() if part.get_filename().endswith(".pdf"))
    text = pdf_text(attachment.get_content())
    assert "Certificat de réalisation" in text and "Olga Dehors" in text and "14 heures sur 14 heures prévues" in text
    survey_link = server.link_in_last_mail(GUEST, "/survey/hot", wait=5)
    people.be(GUEST)
    driver.get(survey_link)
    check_accessibility("the hot survey")
    Select(driver.find_element(By.ID, "survey-satisfaction")).select_by_value("5")
    Select(driver.find_element(By.ID, "survey-objectives_met")).select_by_value("4")
    Select(driver.find_element(By.ID, "survey-recommends")).select_by_value("yes")
    fill(driver, "survey", comment="Très utile pour oser annoncer un prix.")
    submit(driver, "survey")
    assert "Merci" in driver.page_source
    driver.get(server.base + "/trainings/mine")
    assert "14 h" in driver.page_source or "14 heures" in driver.page_source
    check_accessibility("a guest's trainings")
    wait_for(lambda: any("Bilan du formateur" in (m["Subject"] or "") for m in server.mails_to("membre3@maillon.example")), "the trainer's own survey")

    # The BPF shows the session's trainees and hours for the year.
    people.be("admin@maillon.example")
    assert bpf_row(driver, server, day1.year, TRAINING) == (trainees_before + 3, hours_before + 42)
    check_accessibility("the BPF with this session")
    driver.get(session_url)
    results = driver.find_element(By.TAG_NAME, "main").text
    assert "Personnes formées" in results and "Satisfaction" in results
