"""Journey 1 in a real browser: a freelancer applies to Lyon, the Lyon ambassador approves,
the new member completes a profile and finds themself in the directory."""
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_accounts import click_and_wait, fill, heading, sign_in, sign_out, submit

PASSWORD = "une phrase de passe solide"


def test_apply_approve_profile_directory(driver, server, check_accessibility):
    address = f"ines-{uuid.uuid4().hex[:8]}@example.org"
    marker = f"Céramiste{uuid.uuid4().hex[:6]}"
    driver.delete_all_cookies()

    # Sign up and confirm the address.
    driver.get(server.base + "/sign-up")
    fill(driver, "sign-up", name="Inès Lyonnaise", email=address, password=PASSWORD)
    submit(driver, "sign-up")
    driver.get(server.link_in_last_mail(address, "/verify-email"))
    sign_in(driver, server, address, PASSWORD)

    # Apply to Lyon, accepting the charter.
    driver.get(server.base + "/apply")
    assert heading(driver) == "Candidater"
    check_accessibility("apply")
    fill(driver, "apply", headline=f"{marker} et développeuse", city="Lyon",
         motivation="Je veux rencontrer les freelances lyonnais et travailler pour des associations.")
    Select(driver.find_element(By.ID, "apply-profession")).select_by_value("tech")
    Select(driver.find_element(By.ID, "apply-chapter")).select_by_visible_text("Lyon (Auvergne-Rhône-Alpes)")
    driver.find_element(By.ID, "apply-charter").click()
    submit(driver, "apply")
    assert "envoyée" in driver.page_source
    check_accessibility("my application")
    sign_out(driver)

    # The Lyon ambassador accepts.
    sign_in(driver, server, "membre1@maillon.example", server.demo_password)
    driver.get(server.base + "/review")
    check_accessibility("review queue")
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Inès Lyonnaise"))
    check_accessibility("review application")
    Select(driver.find_element(By.ID, "decision-decision")).select_by_value("accepted")
    fill(driver, "decision", message="Bienvenue à Lyon !")
    submit(driver, "decision")
    assert "Décision enregistrée" in driver.page_source
    driver.get(server.base + "/chapters/lyon/welcome")
    assert "Inès Lyonnaise" in driver.page_source
    check_accessibility("welcome list")
    sign_out(driver)

    # The new member completes the profile and appears in the directory.
    sign_in(driver, server, address, PASSWORD)
    driver.get(server.base + "/profile")
    check_accessibility("profile form")
    fill(driver, "profile-essentials", skills="Accessibilité numérique, Céramique")
    driver.find_element(By.ID, "profile-essentials-cause_sdg13").click()
    submit(driver, "profile-essentials")
    assert "Modifications enregistrées." in driver.page_source
    driver.get(server.base + "/directory?q=" + marker.lower().replace("é", "e"))
    assert "Inès Lyonnaise" in driver.page_source
    check_accessibility("directory")
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Inès Lyonnaise"))
    assert "Céramique" in driver.page_source
    check_accessibility("profile page")
    sign_out(driver)
