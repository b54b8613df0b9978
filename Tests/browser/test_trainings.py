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
