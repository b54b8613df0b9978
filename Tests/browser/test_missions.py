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
    assert not driver.find_elements(By.ID, "mission-suggestions-heading"), "members see no suggestions"
    sign_out(driver)


def newest_mail_with_subject(server, *words):
    """The newest development mail whose subject contains one of `words` (any recipient, either language)."""
    import email
    import email.policy
    import time as clock
    deadline = clock.time() + 15
    while clock.time() < deadline:
        found = []
        for path in sorted(server.mail_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime):
            with open(path, "rb") as handle:
                message = email.message_from_binary_file(handle, policy=email.policy.default)
            if any(word in str(message["Subject"]) for word in words):
                found.append(message)
        if found:
            return found[-1]
        clock.sleep(0.2)
    raise AssertionError(f"no mail about {words}")


def test_team_answers_is_chosen_reviews_and_contribution(driver, server, check_accessibility):
    """Journey 3, second part: two members answer as a team with a 60/40 split, the association
    picks them, the mission completes, both sides review, and the association pledges a contribution."""
    import re as regex
    title = "Campagne de financement participatif"
    driver.delete_all_cookies()
    sign_in(driver, server, "membre5@maillon.example", server.demo_password)
    driver.get(server.base + "/missions")
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, title))
    check_accessibility("mission page for a member")
    # Members' pages are read by their markup: a demo member may read English.
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "a[href$='/team']"))
    check_accessibility("team form")
    teammate = Select(driver.find_element(By.ID, "team-member1"))
    teammate_name = teammate.options[1].text
    teammate.select_by_index(1)
    fill(driver, "team", message="Nous avons déjà mené deux campagnes.", approach="Une vidéo, une page, des relances.",
         availability="Dès janvier", total="4500", lead_role="Coordination et vidéo", lead_share="60", role1="Communauté", share1="40")
    Select(driver.find_element(By.ID, "team-price")).select_by_value("total")
    submit(driver, "team")
    assert "/proposals/" in driver.current_url
    assert driver.find_elements(By.ID, "proposal-team-heading")
    check_accessibility("forming team proposal")
    proposal_url = driver.current_url
    sign_out(driver)

    # The teammate confirms their 40 %.
    invitation = newest_mail_with_subject(server, "invitation dans un collectif", "a team invitation")
    sign_in(driver, server, str(invitation["To"]), server.demo_password)
    driver.get(proposal_url)
    assert teammate_name in driver.page_source
    confirm = driver.find_element(By.CSS_SELECTOR, "form[action$='/confirm'] button")
    assert "40 %" in confirm.text
    click_and_wait(driver, confirm)
    assert not driver.find_elements(By.CSS_SELECTOR, "form[action$='/confirm']")
    sign_out(driver)

    # The organisation picks the team.
    sign_in(driver, server, "structure2@maillon.example", server.demo_password)
    driver.get(proposal_url)
    check_accessibility("proposal for the organisation")
    click_and_wait(driver, driver.find_element(By.XPATH, "//form[input[@name='to' and @value='awarded']]//button"))
    assert "retenue" in driver.page_source
    sign_out(driver)

    # The lead reports delivery; the organisation completes, reviews and contributes.
    sign_in(driver, server, "membre5@maillon.example", server.demo_password)
    driver.get(proposal_url)
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "form[action$='/delivered'] button"))
    sign_out(driver)
    sign_in(driver, server, "structure2@maillon.example", server.demo_password)
    driver.get(proposal_url)
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Voir la mission"))
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "#move-completed button"))
    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Les avis sur cette mission"))
    check_accessibility("reviews to write")
    form = driver.find_elements(By.CSS_SELECTOR, "form[id^='review-']")[0]
    form.find_element(By.NAME, "text").send_keys("Une campagne réussie, merci !")
    click_and_wait(driver, form.find_element(By.CSS_SELECTOR, "button[type='submit']"))
    assert "Avis enregistré." in driver.page_source
    mission_link = driver.find_element(By.LINK_TEXT, "Voir la mission").get_attribute("href")
    driver.get(regex.sub(r"/reviews$", "", mission_link) + "/contribution")
    check_accessibility("contribution")
    assert "Montant suggéré : 225 €" in driver.page_source
    submit(driver, "contribution")
    assert "CV-" in driver.page_source
    sign_out(driver)
