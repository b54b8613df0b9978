"""Journey 4, the catalogue: a visitor reads the trainings; an admin writes a programme, is told what
is missing before it can be published, completes it and publishes it. Checked with axe."""
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_accounts import click_and_wait, fill, heading, sign_in, sign_out, submit


def test_catalogue_and_publishing(driver, server, check_accessibility):
    driver.delete_all_cookies()
    driver.get(server.base + "/trainings")
    assert heading(driver) == "Catalogue des formations"
    assert "Masterclass mensuelle" in driver.page_source
    check_accessibility("training catalogue")
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Fixer son prix juste de freelance à impact"))
    assert "Négocier sans brader" in driver.page_source
    assert "Référent handicap" in driver.page_source
    check_accessibility("programme")

    title = f"Écrire pour le web {uuid.uuid4().hex[:6]}"
    sign_in(driver, server, "admin@maillon.example", server.demo_password)
    driver.get(server.base + "/admin/trainings/new")
    fill(driver, "training", title=title, objectives="Rédiger un article clair\nTitrer pour être lu", hours="7", days="1")
    Select(driver.find_element(By.ID, "training-modality")).select_by_value("remote")
    driver.find_element(By.ID, "training-publish").click()
    submit(driver, "training")
    assert "La formation ne peut pas être publiée" in driver.page_source
    assert driver.find_element(By.ID, "training-title").get_attribute("value") == title
    check_accessibility("training form refused")
    fill(driver, "training", prerequisites="Aucun.", audience="Tous les membres.", price_inter="0", access_delay="Jusqu'à la veille.",
         methods="Ateliers d'écriture.", evaluation="Article relu par la formatrice.", programme="Matin : écrire\nAprès-midi : titrer",
         accessibility="Supports lisibles au lecteur d'écran.", contacts="formation@maillon.example")
    submit(driver, "training")
    assert "Formation enregistrée et publiée." in driver.page_source
    sign_out(driver)
    driver.get(server.base + "/trainings")
    assert title in driver.page_source


def test_member_enrols_in_a_session(driver, server, check_accessibility):
    driver.delete_all_cookies()
    sign_in(driver, server, "membre12@maillon.example", server.demo_password)
    driver.get(server.base + "/trainings")
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Fixer son prix juste de freelance à impact"))
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "a[href^='/trainings/sessions/']"))
    assert "09:00–12:30" in driver.page_source
    check_accessibility("training session")
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "S'inscrire"))
    check_accessibility("enrolment form")
    fill(driver, "enrolment", expectations="Construire ma grille tarifaire")
    Select(driver.find_element(By.ID, "enrolment-funding")).select_by_value("opco")
    driver.find_element(By.ID, "enrolment-ack_programme").click()
    submit(driver, "enrolment")
    assert "À cocher pour s'inscrire." in driver.page_source
    assert driver.find_element(By.ID, "enrolment-expectations").get_attribute("value") == "Construire ma grille tarifaire"
    check_accessibility("enrolment form refused")
    driver.find_element(By.ID, "enrolment-ack_rules").click()
    submit(driver, "enrolment")
    assert "Inscription confirmée." in driver.page_source
    assert "Vous êtes inscrit·e" in driver.page_source
    sign_out(driver)


def decode_qr(svg):
    """Draws the SVG's modules (one `Mx yh1v1h-1z` each) and decodes the picture with zxing-cpp."""
    import re
    import zxingcpp
    from PIL import Image
    side = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(1))
    scale = 6
    image = Image.new("L", (side * scale, side * scale), 255)
    for x, y in re.findall(r"M(\d+) (\d+)h1v1h-1z", svg):
        image.paste(0, (int(x) * scale, int(y) * scale, (int(x) + 1) * scale, (int(y) + 1) * scale))
    return [result.text for result in zxingcpp.read_barcodes(image)][0]


def test_half_day_signed_and_countersigned(driver, server, check_accessibility):
    """A trainee signs a half-day on their phone by drawing; the trainer countersigns and closes it."""
    import datetime
    from zoneinfo import ZoneInfo
    from selenium.webdriver.common.action_chains import ActionChains

    import pytest

    now = datetime.datetime.now(ZoneInfo("Europe/Paris"))
    if now.hour == 23 and now.minute > 30:
        pytest.skip("a half-day starting in ten minutes would end tomorrow")
    # Starting in ten minutes: enrolment is still open, and the code already works (from 30 minutes before).
    start = now + datetime.timedelta(minutes=10)
    end = min(now.replace(hour=23, minute=59, second=0, microsecond=0), now + datetime.timedelta(minutes=70))
    driver.delete_all_cookies()
    sign_in(driver, server, "admin@maillon.example", server.demo_password)
    driver.get(server.base + "/trainings")
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Masterclass mensuelle : les outils du freelance"))
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Programmer une session"))
    fill(driver, "session", online_url="https://visio.example.org/masterclass", capacity="5", trainers="membre3@maillon.example")
    for name, value in [("day1", now.strftime("%Y-%m-%d")), ("morning_start", "00:00"), ("morning_end", "00:01"),
                        ("afternoon_start", start.strftime("%H:%M")), ("afternoon_end", end.strftime("%H:%M"))]:
        driver.execute_script("arguments[0].value = arguments[1]", driver.find_element(By.ID, f"session-{name}"), value)
    Select(driver.find_element(By.ID, "session-day1_part")).select_by_value("afternoon")
    submit(driver, "session")
    assert "Session programmée." in driver.page_source
    session_url = driver.current_url
    sign_out(driver)

    sign_in(driver, server, "membre14@maillon.example", server.demo_password)
    driver.get(session_url)
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "S'inscrire"))
    fill(driver, "enrolment", expectations="Choisir mon outil de facturation")
    driver.find_element(By.ID, "enrolment-ack_programme").click()
    driver.find_element(By.ID, "enrolment-ack_rules").click()
    submit(driver, "enrolment")
    assert "Inscription confirmée." in driver.page_source
    sign_out(driver)

    sign_in(driver, server, "membre3@maillon.example", server.demo_password)
    driver.get(session_url)
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Émargement"))
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "td a"))
    code = driver.find_element(By.CSS_SELECTOR, ".attendance-code").text
    # The QR code on the trainer's screen decodes to the short link.
    assert decode_qr(driver.find_element(By.CSS_SELECTOR, ".attendance-qr svg").get_attribute("outerHTML")) == server.base + "/sign/" + code
    check_accessibility("half-day with its code")
    half_day_url = driver.current_url
    sign_out(driver)

    sign_in(driver, server, "membre14@maillon.example", server.demo_password)
    driver.get(server.base + "/sign")
    fill(driver, "code", code=code.lower())
    submit(driver, "code")
    canvas = driver.find_element(By.CSS_SELECTOR, ".signature-canvas")
    check_accessibility("signing page")
    ActionChains(driver).move_to_element_with_offset(canvas, -100, 0).click_and_hold().move_by_offset(60, 20).move_by_offset(60, -30).release().perform()
    assert driver.find_element(By.ID, "signature-drawing").get_attribute("value").startswith("M")
    submit(driver, "signature")
    assert "Présence signée" in driver.page_source
    sign_out(driver)

    sign_in(driver, server, "membre3@maillon.example", server.demo_password)
    driver.get(half_day_url)
    assert "Signé à" in driver.page_source
    fill(driver, "countersign", typed="Formatrice Démo")
    submit(driver, "countersign")
    assert "Demi-journée contresignée et close." in driver.page_source
    sign_out(driver)


def download(driver, url, kind="application/pdf"):
    """Fetches `url` with the browser's cookies (a PDF the browser would only display, a ZIP it would save)."""
    import urllib.request
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    request = urllib.request.Request(url, headers={"Cookie": cookies})
    with urllib.request.urlopen(request) as response:
        assert response.headers["Content-Type"].startswith(kind)
        return response.read()


def pdf_text(data):
    import io
    from pypdf import PdfReader
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_attendance_sheet_and_certificate_read_back(driver, server):
    """The demo's past session: its attendance sheet and a trainee's certificate, read back with pypdf."""
    driver.delete_all_cookies()
    sign_in(driver, server, "admin@maillon.example", server.demo_password)
    driver.get(server.base + "/trainings")
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Accessibilité numérique : les bases du RGAA"))
    past = driver.find_element(By.XPATH, "//h3[normalize-space()='Sessions passées']/following-sibling::ul//a")
    click_and_wait(driver, past)
    session_url = driver.current_url
    sheet = pdf_text(download(driver, driver.find_element(By.LINK_TEXT, "Feuille d'émargement (PDF)").get_attribute("href")))
    assert "Feuille d'émargement" in sheet
    assert "Accessibilité numérique : les bases du RGAA" in sheet
    assert sheet.count("Contresigné par") == 2
    assert "Absent·e" in sheet
    import io
    import zipfile
    pack = zipfile.ZipFile(io.BytesIO(download(driver, driver.find_element(By.LINK_TEXT, "Dossier de preuves (ZIP)").get_attribute("href"), "application/zip")))
    names = pack.namelist()
    assert {"programme-v1.pdf", "reglement-interieur-v1.txt", "emargement.pdf", "convocations.csv", "questionnaires.csv"} <= set(names)
    assert len([name for name in names if name.startswith("certificats/")]) == 5
    assert "Feuille d'émargement" in pdf_text(pack.read("emargement.pdf"))
    assert "Très concret" in pack.read("questionnaires.csv").decode("utf-8-sig")
    sign_out(driver)

    sign_in(driver, server, "membre10@maillon.example", server.demo_password)
    driver.get(session_url)
    certificate = pdf_text(download(driver, driver.find_element(By.LINK_TEXT, "Mon certificat de réalisation (PDF)").get_attribute("href")))
    assert "Certificat de réalisation" in certificate
    assert "Durée effectivement suivie : 7 heures sur 7 heures prévues" in certificate
    assert "Tester une page au clavier et avec un lecteur d'écran" in certificate
    sign_out(driver)


def test_bpf_complaint_and_survey_pages(driver, server, check_accessibility):
    """The admin's BPF and complaints desk, a visitor's complaint, with axe."""
    driver.delete_all_cookies()
    driver.get(server.base + "/")
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Réclamation"))
    fill(driver, "complaint", name="Zoé Zèle", email="zoe@example.org", body="La visio a coupé pendant une heure.")
    check_accessibility("complaint form")
    submit(driver, "complaint")
    assert "Réclamation reçue" in driver.page_source
    sign_in(driver, server, "admin@maillon.example", server.demo_password)
    driver.get(server.base + "/admin/complaints")
    assert "Zoé Zèle" in driver.page_source
    check_accessibility("complaints desk")
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "td a"))
    check_accessibility("a complaint")
    driver.get(server.base + "/admin/trainings/bpf")
    assert "Bilan pédagogique et financier" in driver.page_source
    check_accessibility("BPF")
    sign_out(driver)
