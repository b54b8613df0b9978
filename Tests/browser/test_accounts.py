"""Journeys of the foundation in a real browser: sign up, verify, sign out, sign in,
switch language, reset the password, with axe checking each page."""
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import WebDriverWait

PASSWORD = "une phrase de passe solide"
NEW_PASSWORD = "encore une autre phrase"


def fill(driver, form_id, **values):
    for name, value in values.items():
        field = driver.find_element(By.CSS_SELECTOR, f"#{form_id} [name='{name}']")
        field.clear()
        field.send_keys(value)


def click_and_wait(driver, element):
    """Clicks and waits until the next page has replaced this one and finished loading.
    A marker set on the old page tells them apart; errors while the page swaps are retried."""
    driver.execute_script("window.__maillonOldPage = true")
    element.click()

    def next_page_loaded(d):
        return d.execute_script("return window.__maillonOldPage === undefined && document.readyState === 'complete'")

    WebDriverWait(driver, 15, ignored_exceptions=(WebDriverException,)).until(next_page_loaded)


def submit(driver, form_id):
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, f"#{form_id} button[type='submit']"))


def heading(driver):
    return driver.find_element(By.TAG_NAME, "h1").text


def sign_in(driver, server, address, password):
    driver.get(server.base + "/sign-in")
    fill(driver, "sign-in", email=address, password=password)
    submit(driver, "sign-in")


def sign_out(driver):
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "form[action='/sign-out'] button"))


def test_sign_up_verify_sign_out_sign_in_switch_language_and_reset(driver, server, check_accessibility):
    address = f"lea-{uuid.uuid4().hex[:8]}@example.org"
    driver.delete_all_cookies()

    driver.get(server.base + "/")
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
    check_accessibility("home")

    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Créer un compte"))
    assert heading(driver) == "Créer un compte"
    check_accessibility("sign up")

    # A mistake first: the error is shown on the form, the input kept.
    fill(driver, "sign-up", name="Léa Dupont", email=address, password="court")
    submit(driver, "sign-up")
    assert "au moins 12 caractères" in driver.page_source
    assert driver.find_element(By.ID, "sign-up-email").get_attribute("value") == address
    check_accessibility("sign up with errors")

    fill(driver, "sign-up", password=PASSWORD)
    submit(driver, "sign-up")
    assert heading(driver) == "Vérifiez votre boîte mail"
    check_accessibility("check your email")

    driver.get(server.link_in_last_mail(address, "/verify-email"))
    assert heading(driver) == "Adresse confirmée"
    check_accessibility("verified")

    sign_in(driver, server, address, PASSWORD)
    driver.get(server.base + "/account")
    assert heading(driver) == "Mon compte"
    assert "Léa Dupont" in driver.page_source
    check_accessibility("account")

    sign_out(driver)
    assert "Vous êtes déconnecté·e." in driver.page_source
    driver.get(server.base + "/account")
    assert "/sign-in" in driver.current_url

    fill(driver, "sign-in", email=address, password=PASSWORD)
    submit(driver, "sign-in")
    assert "/account" in driver.current_url, "sign-in returns to the page that asked for it"

    # The switcher is on every page; signed in, the choice is saved on the account.
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "form.language-switch button"))
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert heading(driver) == "My account"
    check_accessibility("account in English")
    driver.get(server.base + "/")
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"

    sign_out(driver)
    driver.get(server.base + "/password/forgot")
    check_accessibility("forgot password")
    fill(driver, "forgot-password", email=address)
    submit(driver, "forgot-password")
    assert heading(driver) in ("Check your inbox", "Vérifiez votre boîte mail")

    driver.get(server.link_in_last_mail(address, "/password/reset"))
    check_accessibility("reset password")
    fill(driver, "reset-password", password=NEW_PASSWORD)
    submit(driver, "reset-password")
    assert "/sign-in" in driver.current_url

    sign_in(driver, server, address, PASSWORD)
    assert driver.find_element(By.CSS_SELECTOR, ".error-summary").is_displayed()
    check_accessibility("failed sign in")
    sign_in(driver, server, address, NEW_PASSWORD)
    driver.get(server.base + "/account")
    assert heading(driver) == "My account"
    sign_out(driver)


def test_error_page_is_accessible(driver, server, check_accessibility):
    driver.get(server.base + "/nulle-part")
    assert "404" in driver.page_source
    check_accessibility("404")


def test_skip_link_is_first_and_reaches_main(driver, server):
    driver.delete_all_cookies()
    driver.get(server.base + "/sign-in")
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    active = driver.switch_to.active_element
    assert active.get_attribute("class") == "skip-link"
    active.send_keys(Keys.ENTER)
    assert driver.execute_script("return location.hash") == "#main"


def test_pages_fit_a_360px_screen(driver, server):
    driver.set_window_size(360, 800)
    try:
        for path in ["/", "/sign-up", "/sign-in", "/password/forgot", "/events", "/chapters/lyon"]:
            driver.get(server.base + path)
            width = driver.execute_script("return document.documentElement.scrollWidth")
            assert width <= 360, f"{path} scrolls sideways ({width}px)"
    finally:
        driver.set_window_size(1280, 900)
