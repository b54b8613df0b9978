"""Two instances of Maillon on one PostgreSQL behind Debian's nginx (round robin, the sample proxy
settings of deploy/maillon-proxy.conf), as a real deployment runs (issue 14). Nothing is kept in one
process that the other needs: a session made on one goes on on the other, the sign-in throttle counts
across both, 200 people registering at once for 40 seats through both get exactly 40 seats and a
waiting list in order, and each periodic job runs once. Then the crashes: `kill -9` of an instance in
the middle of a registration burst loses no registration that was answered and over-books nothing,
and the job it had claimed is run by the other after the lease; SIGTERM finishes the requests in
flight and exits 0 within a bound. No browser here: plain HTTP, as the load would come."""
import concurrent.futures
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests

from conftest import BINARY, ROOT, free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
LEASE_SECONDS = 4


def database_url():
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    started = subprocess.run([str(ROOT / "scripts" / "start-test-postgres")], capture_output=True, text=True, check=True)
    return re.search(r"TEST_DATABASE_URL=(\S+)", started.stdout).group(1)


class Database:
    def __init__(self, url, schema):
        self.url, self.schema = url.split("?")[0], schema

    def run(self, sql):
        done = subprocess.run(["psql", self.url, "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", f"SET search_path TO {self.schema}; {sql}"],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return [line.split("|") for line in done.stdout.strip().splitlines() if line]

    def value(self, sql):
        rows = self.run(sql)
        return rows[0][0] if rows else None


class Instance:
    """One `maillon serve` on its own port, on the shared database."""

    def __init__(self, name, env, workdir):
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(env, PORT=str(self.port))
        self.log_path = workdir / f"{name}.log"
        self.start()

    def start(self):
        self.log = open(self.log_path, "a")
        self.process = subprocess.Popen([str(BINARY), "serve"], cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if requests.get(self.base + "/readyz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not start; see {self.log_path}")

    def requests_served(self, path_fragment):
        with open(self.log_path) as log:
            return sum(1 for line in log if '"msg":"request"' in line and path_fragment in line)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


class Deployment:
    def __init__(self):
        self.workdir = Path(tempfile.mkdtemp(prefix="maillon-two-"))
        self.workdir.chmod(0o755)
        self.database = Database(database_url(), f"two_instances_{os.getpid()}")
        subprocess.run(["psql", self.database.url, "-qc", f"DROP SCHEMA IF EXISTS {self.database.schema} CASCADE; CREATE SCHEMA {self.database.schema}"],
                       check=True, capture_output=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, HOST="127.0.0.1", BASE_URL=self.base, DATABASE_URL=database_url(), DATABASE_SCHEMA=self.database.schema,
                   TRUST_PROXY_HEADERS="true", JOB_WORKERS="2", JOB_LEASE_SECONDS=str(LEASE_SECONDS), BCRYPT_COST="4",
                   MAIL_DIR=str(self.workdir / "mail"), LOG_FORMAT="json", LOG_LEVEL="info")
        env.pop("SQLITE_PATH", None)
        seeded = subprocess.run([str(BINARY), "seed", "--members", "260"], cwd=ROOT, env=dict(env, LOG_LEVEL="error"),
                                capture_output=True, text=True, timeout=600)
        match = re.search(r"password: (\S+)", seeded.stdout)
        assert seeded.returncode == 0 and match, seeded.stdout + seeded.stderr
        self.password = match.group(1)
        self.a = Instance("a", env, self.workdir)
        self.b = Instance("b", env, self.workdir)
        self.nginx = self.start_nginx()

    def start_nginx(self):
        temp = self.workdir / "nginx"
        temp.mkdir()
        temp.chmod(0o777)
        config = self.workdir / "nginx.conf"
        config.write_text(f"""
worker_processes 1;
daemon off;
pid {temp}/nginx.pid;
error_log {temp}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    upstream maillon {{
        server 127.0.0.1:{self.a.port};
        server 127.0.0.1:{self.b.port};
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{self.port};
        location / {{
            include {ROOT}/deploy/maillon-proxy.conf;
        }}
    }}
}}
""")
        process = subprocess.Popen([NGINX, "-c", str(config), "-e", str(temp / "error.log")], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if requests.get(self.base + "/readyz", timeout=2).status_code == 200:
                    return process
            except requests.RequestException:
                time.sleep(0.2)
        process.kill()
        raise RuntimeError("nginx did not start: " + (temp / "error.log").read_text())

    def stop(self):
        self.nginx.terminate()
        self.nginx.wait(timeout=10)
        self.a.stop()
        self.b.stop()
        subprocess.run(["psql", self.database.url, "-qc", f"DROP SCHEMA IF EXISTS {self.database.schema} CASCADE"], capture_output=True)
        shutil.rmtree(self.workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def deployment():
    if not shutil.which(NGINX) and not Path(NGINX).exists():
        pytest.fail("nginx is missing: scripts/install-test-deps installs it")
    deployed = Deployment()
    yield deployed
    deployed.stop()


class Person:
    """A browser-like client: its cookies, and the address the proxy says it comes from."""

    def __init__(self, email, ip=None):
        self.email = email
        self.session = requests.Session()
        self.ip = ip or f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"

    def get(self, url, **kwargs):
        return self.session.get(url, headers={"X-Forwarded-For": self.ip}, allow_redirects=False, timeout=60, **kwargs)

    def post(self, url, form, csrf_page):
        token = re.search(r'name="_csrf" value="([^"]+)"', self.get(csrf_page).text).group(1)
        return self.session.post(url, data=dict(form, _csrf=token), headers={"X-Forwarded-For": self.ip}, allow_redirects=False, timeout=60)

    def sign_in(self, base, password):
        return self.post(base + "/sign-in", {"email": self.email, "password": password}, base + "/sign-in")


def coming_event(deployment, days):
    """A coming event emptied and set to 40 seats, at a time no one else has an event."""
    event = deployment.database.value("SELECT id FROM events WHERE kind <> 'training' AND status = 'scheduled' AND starts_at > NOW() ORDER BY starts_at LIMIT 1 OFFSET "
                                      + str(days))
    deployment.database.run(f"""DELETE FROM event_registrations WHERE event_id = '{event}';
        UPDATE events SET capacity = 40, confirmed_count = 0, starts_at = NOW() + INTERVAL '{days + 40} days',
        ends_at = NOW() + INTERVAL '{days + 40} days 2 hours' WHERE id = '{event}'""")
    return event


def test_a_session_made_on_one_instance_goes_on_on_the_other_and_the_throttle_counts_across_both(deployment):
    member = Person("membre42@maillon.example")
    assert member.sign_in(deployment.a.base, deployment.password).status_code == 303
    account = member.get(deployment.b.base + "/account")
    assert account.status_code == 200 and "membre42@maillon.example" in account.text
    # A form whose token was issued by one instance is accepted by the other.
    token = re.search(r'name="_csrf" value="([^"]+)"', member.get(deployment.a.base + "/account").text).group(1)
    saved = member.session.post(deployment.b.base + "/sign-out", data={"_csrf": token}, headers={"X-Forwarded-For": member.ip}, allow_redirects=False)
    assert saved.status_code == 303 and member.get(deployment.a.base + "/account").status_code in (302, 303)

    # Five wrong passwords from one address, alternating instances: the sixth try is refused on either.
    stranger = Person("membre43@maillon.example", ip="198.51.100.7")
    for attempt in range(5):
        base = (deployment.a if attempt % 2 == 0 else deployment.b).base
        assert stranger.post(base + "/sign-in", {"email": stranger.email, "password": "not the password"}, base + "/sign-in").status_code == 401
    assert stranger.sign_in(deployment.b.base, deployment.password).status_code == 429
    assert stranger.sign_in(deployment.a.base, deployment.password).status_code == 429


def test_200_people_registering_at_once_through_both_instances_get_40_seats_and_an_ordered_waiting_list(deployment):
    people = [Person(f"membre{n}@maillon.example") for n in range(10, 210)]
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        signed = list(pool.map(lambda p: p.sign_in(deployment.base, deployment.password).status_code, people))
    assert signed == [303] * 200
    event = coming_event(deployment, 0)
    page = f"{deployment.base}/events/{event}"
    tokens = {p.email: re.search(r'name="_csrf" value="([^"]+)"', p.get(page).text).group(1) for p in people}
    served_before = deployment.a.requests_served("/register"), deployment.b.requests_served("/register")

    def register(person):
        return person.session.post(page + "/register", data={"_csrf": tokens[person.email]}, headers={"X-Forwarded-For": person.ip},
                                   allow_redirects=False, timeout=60).status_code

    started = time.time()
    with concurrent.futures.ThreadPoolExecutor(200) as pool:
        answers = list(pool.map(register, people))
    elapsed = time.time() - started
    print(f"\n200 registrations through nginx and two instances answered in {elapsed:.2f} s")
    assert answers == [303] * 200
    statuses = dict(deployment.database.run(f"SELECT status, COUNT(*) FROM event_registrations WHERE event_id = '{event}' GROUP BY status"))
    assert statuses == {"confirmed": "40", "waitlisted": "160"}
    assert deployment.database.value(f"SELECT confirmed_count FROM events WHERE id = '{event}'") == "40"
    # Both instances took part (nginx's round robin). Log lines leave within a second (they are buffered).
    deadline = time.time() + 5
    while True:
        served = deployment.a.requests_served("/register") - served_before[0], deployment.b.requests_served("/register") - served_before[1]
        if sum(served) == 200 or time.time() > deadline:
            break
        time.sleep(0.2)
    assert served[0] > 0 and served[1] > 0 and sum(served) == 200
    # The waiting list in the order people asked, numbered without a gap or a double; the first to leave
    # a seat makes room for the first waiting.
    numbers = [int(row[0]) for row in deployment.database.run(
        f"SELECT waitlist_number FROM event_registrations WHERE event_id = '{event}' AND status = 'waitlisted' ORDER BY waitlist_number")]
    assert numbers == list(range(numbers[0], numbers[0] + 160))
    first_waiting = deployment.database.value(
        f"SELECT user_id FROM event_registrations WHERE event_id = '{event}' AND status = 'waitlisted' ORDER BY waitlist_number LIMIT 1")
    leaving = next(p for p in people if deployment.database.value(
        f"SELECT status FROM event_registrations r JOIN users u ON u.id = r.user_id WHERE r.event_id = '{event}' AND u.email = '{p.email}'") == "confirmed")
    assert leaving.post(page + "/unregister", {}, page).status_code == 303
    assert deployment.database.value(f"SELECT status FROM event_registrations WHERE event_id = '{event}' AND user_id = '{first_waiting}'") == "confirmed"


def test_each_periodic_job_runs_once_across_both_instances(deployment):
    # Both instances scheduled the periodic jobs when they started; the hour's occurrence exists once.
    duplicates = deployment.database.run("SELECT unique_key, COUNT(*) FROM jobs WHERE unique_key LIKE 'periodic:%' GROUP BY unique_key HAVING COUNT(*) > 1")
    assert duplicates == []
    kinds = {row[0] for row in deployment.database.run("SELECT kind FROM jobs WHERE unique_key LIKE 'periodic:%'")}
    assert {"radar-look", "housekeeping", "event-reminders"} <= kinds
    deadline = time.time() + 60
    while deployment.database.value("SELECT COUNT(*) FROM jobs WHERE unique_key LIKE 'periodic:radar-look:%' AND status = 'done'") != "1":
        assert time.time() < deadline, "the radar's look did not run"
        time.sleep(0.5)
    assert deployment.a.requests_served("/readyz") > 0 and deployment.b.requests_served("/readyz") > 0


def test_kill_9_in_a_registration_burst_loses_no_answered_registration_and_the_other_runs_its_claimed_job(deployment):
    people = [Person(f"membre{n}@maillon.example") for n in range(10, 130)]
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda p: p.sign_in(deployment.b.base, deployment.password), people))
    event = coming_event(deployment, 1)
    page = f"/events/{event}"
    tokens = {p.email: re.search(r'name="_csrf" value="([^"]+)"', p.get(deployment.b.base + page).text).group(1) for p in people}

    def register(numbered):
        number, person = numbered
        if number == 30:
            deployment.a.process.send_signal(signal.SIGKILL)
        base = (deployment.a if number % 2 == 0 else deployment.b).base
        try:
            return person.email, person.session.post(base + page + "/register", data={"_csrf": tokens[person.email]},
                                                     headers={"X-Forwarded-For": person.ip}, allow_redirects=False, timeout=30).status_code
        except requests.RequestException:
            return person.email, None

    with concurrent.futures.ThreadPoolExecutor(24) as pool:
        answers = dict(pool.map(register, enumerate(people)))
    deployment.a.process.wait(timeout=10)
    answered = [email for email, status in answers.items() if status == 303]
    assert len(answered) >= 60, answers
    registered = {row[0]: row[1] for row in deployment.database.run(
        f"SELECT u.email, r.status FROM event_registrations r JOIN users u ON u.id = r.user_id WHERE r.event_id = '{event}'")}
    assert all(email in registered for email in answered), "an answered registration was lost"
    confirmed = sum(1 for status in registered.values() if status == "confirmed")
    assert confirmed <= 40
    assert deployment.database.value(f"SELECT confirmed_count FROM events WHERE id = '{event}'") == str(confirmed)

    # A job the dead instance had claimed (as its worker left it) is taken back by the other after the lease.
    job = str(uuid.uuid4())
    deployment.database.run(f"""INSERT INTO jobs (id, kind, payload, status, attempts, max_attempts, run_at, locked_at, locked_by, created_at)
        VALUES ('{job}', 'housekeeping', '{{}}', 'running', 1, 5, NOW(), NOW(), 'a-dead-worker', NOW())""")
    deadline = time.time() + LEASE_SECONDS + 30
    while deployment.database.value(f"SELECT status FROM jobs WHERE id = '{job}'") != "done":
        assert time.time() < deadline, "the claimed job was not taken back"
        time.sleep(0.5)
    assert deployment.database.value(f"SELECT attempts FROM jobs WHERE id = '{job}'") == "2"
    deployment.a.stop()
    deployment.a.start()


def test_sigterm_finishes_the_requests_in_flight_and_exits_0_within_a_bound(deployment):
    member = Person("membre44@maillon.example")
    assert member.sign_in(deployment.b.base, deployment.password).status_code == 303
    pages = ["/directory", "/events", "/account", "/"] * 4

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(member.get, deployment.b.base + path) for path in pages]
        time.sleep(0.05)
        stopping = time.time()
        deployment.b.process.send_signal(signal.SIGTERM)
        statuses = [future.result().status_code if not future.exception() else None for future in futures]
    code = deployment.b.process.wait(timeout=30)
    took = time.time() - stopping
    print(f"\nSIGTERM: exited {code} after {took:.2f} s")
    log = deployment.b.log_path.read_text()
    assert code == 0 and took < 20, log[max(0, log.find("Fatal error") - 500, log.find("Crash") - 500):][:4000]
    # The requests it had accepted were answered; none was cut off half-way.
    assert all(status in (200, None) for status in statuses) and statuses.count(200) >= 1
    with pytest.raises(requests.RequestException):
        requests.get(deployment.b.base + "/healthz", timeout=2)
    deployment.b.start()
    assert requests.get(deployment.base + "/readyz", timeout=5).status_code == 200
