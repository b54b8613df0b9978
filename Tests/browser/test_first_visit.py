"""A first-time member's path in a real browser (the next steps on the home page, checked with axe),
an organiser managing a series, and a photo whose metadata is gone once uploaded."""
import datetime
import uuid
from zoneinfo import ZoneInfo

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_accounts import PASSWORD, click_and_wait, fill, heading, sign_in, sign_out, submit
from test_meetups import set_value

PARIS = ZoneInfo("Europe/Paris")


def test_next_steps_on_the_home_page(driver, server, check_accessibility):
    address = f"nina-{uuid.uuid4().hex[:8]}@example.org"
    driver.delete_all_cookies()
    driver.get(server.base + "/sign-up")
    fill(driver, "sign-up", name="Nina Nouvelle", email=address, password=PASSWORD)
    submit(driver, "sign-up")
    driver.get(server.link_in_last_mail(address, "/verify-email"))
    sign_in(driver, server, address, PASSWORD)
    driver.get(server.base + "/")
    assert "Vos premiers pas" in driver.page_source
    assert "Bon retour" not in driver.page_source
    check_accessibility("home with next steps")
    # The current step is a link, reachable from the keyboard.
    step = driver.find_element(By.CSS_SELECTOR, ".step-current a")
    assert step.get_attribute("href").endswith("/apply")
    click_and_wait(driver, step)
    assert heading(driver) == "Candidater"
    # The directory explains itself to an applicant.
    driver.get(server.base + "/directory")
    assert "dès que votre candidature est acceptée" in driver.page_source
    check_accessibility("directory for an applicant")
    sign_out(driver)


def test_organiser_manages_a_series(driver, server, check_accessibility):
    title = f"Petit-déjeuner {uuid.uuid4().hex[:6]}"
    driver.delete_all_cookies()
    sign_in(driver, server, "membre1@maillon.example", server.demo_password)
    driver.get(server.base + "/events/new")
    start = (datetime.datetime.now(PARIS) + datetime.timedelta(days=2)).replace(hour=8, minute=30)
    fill(driver, "event", title=title, description="Un café pour commencer la semaine.", venue_name="Café du Parc",
         venue_address="1 place Bellecour, Lyon", capacity="12")
    Select(driver.find_element(By.ID, "event-kind")).select_by_value("breakfast")
    Select(driver.find_element(By.ID, "event-repeat")).select_by_value("weekly")
    set_value(driver, "event-starts_at", start.strftime("%Y-%m-%dT%H:%M"))
    set_value(driver, "event-ends_at", (start + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    submit(driver, "event")
    assert heading(driver) == title
    click_and_wait(driver, driver.find_element(By.PARTIAL_LINK_TEXT, "Gérer la série"))
    assert heading(driver) == title
    check_accessibility("series page")
    set_value(driver, "series-change-time", "09:00")
    submit(driver, "series-change")
    assert "Série modifiée" in driver.page_source
    check_accessibility("series changed")
    submit(driver, "series-end")
    assert "Série arrêtée" in driver.page_source
    sign_out(driver)


def test_uploaded_photo_loses_its_metadata(driver, server, tmp_path):
    from PIL import Image  # noqa: PLC0415 (only this test needs it)
    exif = Image.Exif()
    exif[0x010F] = "SecretCamMaker"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (40, 30), (30, 120, 90)).save(path, "JPEG", exif=exif.tobytes())
    assert b"SecretCamMaker" in path.read_bytes()

    driver.delete_all_cookies()
    sign_in(driver, server, "membre5@maillon.example", server.demo_password)
    driver.get(server.base + "/profile")
    driver.find_element(By.CSS_SELECTOR, "input[type='file']").send_keys(str(path))
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "form[enctype] button[type='submit']"))
    image = driver.find_element(By.CSS_SELECTOR, "img.avatar-large")
    assert driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) == 40
    served = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => r.arrayBuffer()).then(b => done(Array.from(new Uint8Array(b))));",
        image.get_attribute("src"))
    assert b"SecretCamMaker" not in bytes(served)
    assert bytes(served[:2]) == b"\xff\xd8"
    sign_out(driver)
