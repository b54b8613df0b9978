"""Browser suite: starts a real Maillon server on loopback and drives headless Chromium."""
import email
import email.policy
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parents[2]
BINARY = ROOT / ".build" / "debug" / "maillon"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, workdir: Path, extra_env=None, members=30):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.mail_dir = workdir / "mail"
        self.env = dict(
            os.environ,
            PORT=str(self.port),
            HOST="127.0.0.1",
            BASE_URL=self.base,
            SQLITE_PATH=str(workdir / "maillon.sqlite"),
            MAIL_DIR=str(self.mail_dir),
            LOG_FORMAT="json",
            JOB_WORKERS="2",
            **(extra_env or {}),
        )
        self.env.pop("DATABASE_URL", None)
        # A small demo community: chapters with ambassadors, members, the charter.
        self.database = workdir / "maillon.sqlite"
        seeded = subprocess.run([str(BINARY), "seed", "--members", str(members)], cwd=ROOT, env=dict(self.env, LOG_LEVEL="error"),
                                capture_output=True, text=True, timeout=300)
        match = re.search(r"password: (\S+)", seeded.stdout)
        if seeded.returncode != 0 or not match:
            raise RuntimeError("seeding failed: " + seeded.stdout + seeded.stderr)
        self.demo_password = match.group(1)
        self.log = open(workdir / "server.log", "w")
        self.process = subprocess.Popen([str(BINARY), "serve"], cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/readyz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("Maillon did not start; see server.log")

    def drain(self):
        """Runs every due job now (periodic ones included) in a separate `maillon worker --drain`."""
        done = subprocess.run([str(BINARY), "worker", "--drain"], cwd=ROOT, env=dict(self.env, LOG_LEVEL="error"),
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()

    def mails_to(self, address):
        if not self.mail_dir.exists():
            return []
        messages = []
        for path in sorted(self.mail_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime):
            with open(path, "rb") as handle:
                message = email.message_from_binary_file(handle, policy=email.policy.default)
            if message["To"] == address:
                messages.append(message)
        return messages

    def link_in_last_mail(self, address, path, wait=15):
        """The link to `path` in the newest mail to `address`; mail leaves through the job queue, so wait for it."""
        deadline = time.time() + wait
        while True:
            for message in reversed(self.mails_to(address)):
                text = message.get_body(preferencelist=("plain",)).get_content()
                for link in re.findall(r"https?://\S+", text):
                    if path in link:
                        return link
            if time.time() > deadline:
                raise AssertionError(f"no mail to {address} with a link to {path}")
            time.sleep(0.2)


def clocked_server(prefix, members=30):
    """A server of one's own whose clock the test moves (`CLOCK_OFFSET_FILE`, see `move_clock`); sessions
    outlive the days the clock jumps over, so each person signs in once. Use it from a fixture: it yields."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    clock = workdir / "clock"
    clock.write_text("0")
    instance = Server(workdir, members=members,
                      extra_env={"CLOCK_OFFSET_FILE": str(clock), "SESSION_IDLE_MINUTES": "100000", "SESSION_MAX_HOURS": "10000"})
    instance.clock = clock
    yield instance
    instance.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def server():
    if not BINARY.exists():
        pytest.fail(f"{BINARY} is missing: run `swift build` first")
    workdir = Path(tempfile.mkdtemp(prefix="maillon-browser-"))
    instance = Server(workdir)
    yield instance
    instance.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def driver():
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900", "--lang=fr-FR"]:
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "fr-FR,fr"})
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    browser = webdriver.Chrome(options=options, service=service)
    browser.implicitly_wait(2)
    yield browser
    browser.quit()


@pytest.fixture()
def check_accessibility(driver):
    """Runs axe on the current page and fails on any serious or critical violation."""
    def check(label):
        axe = Axe(driver)
        axe.inject()
        results = axe.run()
        bad = [v for v in results["violations"] if v.get("impact") in ("serious", "critical")]
        assert not bad, f"{label}: " + "; ".join(f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)" for v in bad)
    return check
