"""Discussions and mutual help in the browser, with axe: a Lyon member asks for help with a quote in
a theme space, a member from Bordeaux answers (and writes to her privately), the author marks the
answer; a spam post reported in Lyon's space is hidden and the ambassador removes it."""
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_accounts import click_and_wait, fill, sign_in, sign_out, submit

LYON_MEMBER = "membre19@maillon.example"
LYON_OTHER = "membre28@maillon.example"
LYON_AMBASSADOR = "membre1@maillon.example"
BORDEAUX_MEMBER = "membre21@maillon.example"


def test_help_request_answered_and_resolved(driver, server, check_accessibility):
    title = f"Relire mon devis de formation {uuid.uuid4().hex[:6]}"
    driver.delete_all_cookies()
    sign_in(driver, server, LYON_MEMBER, server.demo_password)
    driver.get(server.base + "/discussions")
    check_accessibility("spaces")
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Tarifs et négociation"))
    check_accessibility("a theme space")
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Nouvelle discussion"))
    fill(driver, "thread", body="Bonjour, je facture une formation de deux jours à 1 800 €. **Trop cher** pour une association ?")
    driver.find_element(By.ID, "thread-help").click()
    fill(driver, "thread", tags="Devis")
    submit(driver, "thread")
    assert "Ce champ est obligatoire" in driver.page_source
    check_accessibility("new thread refused")
    fill(driver, "thread", title=title)
    submit(driver, "thread")
    assert driver.find_element(By.TAG_NAME, "h1").text == title
    assert "Demande d'aide ouverte" in driver.page_source
    check_accessibility("a help request")
    thread_url = driver.current_url
    sign_out(driver)

    sign_in(driver, server, BORDEAUX_MEMBER, server.demo_password)
    driver.get(thread_url)
    fill(driver, "reply", body="Pour une association, propose un tarif solidaire et détaille les livrables : ça passe mieux.")
    submit(driver, "reply")
    assert "tarif solidaire" in driver.page_source
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Écrire en privé"))
    check_accessibility("a new conversation")
    fill(driver, "message", body="Je peux te montrer mon modèle de devis, si tu veux.")
    submit(driver, "message")
    assert "mon modèle de devis" in driver.page_source
    check_accessibility("a conversation")
    sign_out(driver)

    sign_in(driver, server, LYON_MEMBER, server.demo_password)
    assert int(driver.find_element(By.CSS_SELECTOR, "a[href='/messages'] .badge-count").text.split()[0]) >= 1, "an unread message in the header"
    driver.get(thread_url)
    click_and_wait(driver, driver.find_element(By.XPATH, "//button[normalize-space()=\"C'est la réponse\"]"))
    assert "Réponse acceptée : la demande d'aide est résolue." in driver.page_source
    assert "Résolue" in driver.page_source
    driver.get(server.base + "/discussions/search?q=tarif+solidaire")
    assert title in driver.page_source
    check_accessibility("search")
    sign_out(driver)


def test_reported_spam_is_hidden_then_removed(driver, server, check_accessibility):
    title = f"Promo exceptionnelle {uuid.uuid4().hex[:6]}"
    driver.delete_all_cookies()
    sign_in(driver, server, LYON_OTHER, server.demo_password)
    driver.get(server.base + "/discussions/lyon/new")
    fill(driver, "thread", title=title, body="Achetez ma formation miracle, -90 % aujourd'hui seulement !")
    submit(driver, "thread")
    thread_url = driver.current_url
    sign_out(driver)

    sign_in(driver, server, LYON_MEMBER, server.demo_password)
    driver.get(thread_url)
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Signaler"))
    check_accessibility("report form")
    Select(driver.find_element(By.ID, "report-reason")).select_by_value("spam")
    submit(driver, "report")
    assert "les modérateurs vont lire votre signalement" in driver.page_source
    sign_out(driver)

    # The ambassador's own report hides it at once; then they delete it from the queue, with a reason.
    sign_in(driver, server, LYON_AMBASSADOR, server.demo_password)
    driver.get(thread_url)
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Signaler"))
    Select(driver.find_element(By.ID, "report-reason")).select_by_value("spam")
    submit(driver, "report")
    assert "le message est masqué" in driver.page_source
    driver.get(server.base + "/moderation")
    assert "formation miracle" in driver.page_source
    check_accessibility("moderation queue")
    form = driver.find_element(By.CSS_SELECTOR, "form[id^='moderate-']")
    Select(form.find_element(By.CSS_SELECTOR, "select[name='action']")).select_by_value("delete")
    reason = form.find_element(By.CSS_SELECTOR, "input[name='reason']")
    reason.clear()
    reason.send_keys("Publicité")
    click_and_wait(driver, form.find_element(By.CSS_SELECTOR, "button[type='submit']"))
    assert "Message supprimé ; son auteur est prévenu." in driver.page_source
    driver.get(server.base + "/moderation/log")
    assert "Publicité" in driver.page_source
    check_accessibility("moderation log")
    driver.get(thread_url)
    assert "Message supprimé" in driver.page_source and "formation miracle" not in driver.page_source
    sign_out(driver)
