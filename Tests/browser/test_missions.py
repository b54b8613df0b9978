"""Journey 3, first part, in a real browser with axe: an association signs up and posts a mission
needing a brand designer and a web developer; the Lyon ambassador publishes it and sees who fits,
and why; a member finds it."""
import datetime
import uuid
from zoneinfo import ZoneInfo

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_accounts import PASSWORD, click_and_wait, fill, heading, sign_in, sign_out, submit
from test_meetups import set_value

PARIS = ZoneInfo("Europe/Paris")


def test_association_posts_staff_publish_member_finds(driver, server, check_accessibility):
    address = f"asso-{uuid.uuid4().hex[:8]}@example.org"
    title = f"Identité et site {uuid.uuid4().hex[:6]}"
    driver.delete_all_cookies()

    driver.get(server.base + "/")
    click_and_wait(driver, driver.find_element(By.PARTIAL_LINK_TEXT, "Publiez une mission"))
    assert heading(driver) == "Publier une mission en tant que structure"
    check_accessibility("organisation sign-up")
    fill(driver, "organisation", name="Nadia Asso", email=address, password=PASSWORD, organisation_name=f"Jardins {title}",
         city="Lyon", description="Des jardins partagés dans les quartiers.")
    driver.find_element(By.ID, "organisation-cause_local_food").click()
    submit(driver, "organisation")
    driver.get(server.link_in_last_mail(address, "/verify-email"))
    sign_in(driver, server, address, PASSWORD)

    driver.get(server.base + "/missions/new")
    check_accessibility("new mission form")
    start = datetime.datetime.now(PARIS) + datetime.timedelta(days=30)
    deadline = start - datetime.timedelta(days=10)
    fill(driver, "mission", title=title, context="Nous ouvrons trois jardins.", deliverables="Un logo, une charte, un site.",
         required_skills="Identité visuelle, Développement web", city="Lyon", duration_days="15", rate_min="350", rate_max="500")
    Select(driver.find_element(By.ID, "mission-chapter")).select_by_visible_text("Lyon")
    Select(driver.find_element(By.ID, "mission-work_mode")).select_by_value("hybrid")
    set_value(driver, "mission-starts_on", start.strftime("%Y-%m-%d"))
    set_value(driver, "mission-application_deadline", deadline.strftime("%Y-%m-%d"))
    submit(driver, "mission")
    assert heading(driver) == title
    check_accessibility("mission draft")
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "#move-submitted button"))
    assert "en attente de validation" in driver.page_source
    sign_out(driver)

    # The Lyon ambassador reviews: who fits, and why.
    sign_in(driver, server, "membre1@maillon.example", server.demo_password)
    driver.get(server.base + "/missions?tab=review")
    check_accessibility("missions to review")
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, title))
    assert "Qui correspond, et pourquoi" in driver.page_source
    check_accessibility("mission with suggestions")
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "#move-published button"))
    assert "publiée" in driver.page_source
    sign_out(driver)

    # A member finds it among the open missions.
    sign_in(driver, server, "membre5@maillon.example", server.demo_password)
    driver.get(server.base + "/missions")
    check_accessibility("open missions")
    assert title in driver.page_source
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, title))
    assert "Qui correspond" not in driver.page_source
    sign_out(driver)
