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
