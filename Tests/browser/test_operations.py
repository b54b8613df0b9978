"""Operations: the binary runs from anywhere when told where its Resources/ and Public/ are."""
import os
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from conftest import BINARY, ROOT, free_port


def test_runs_from_another_directory_with_working_directory():
    with tempfile.TemporaryDirectory() as elsewhere:
        port = free_port()
        env = dict(os.environ, SQLITE_PATH=str(Path(elsewhere) / "maillon.sqlite"), BASE_URL=f"http://127.0.0.1:{port}",
                   MAIL_DIR=str(Path(elsewhere) / "mail"), LOG_LEVEL="error")
        env.pop("DATABASE_URL", None)
        process = subprocess.Popen([str(BINARY), "serve", "--hostname", "127.0.0.1", "--port", str(port), "--working-directory", str(ROOT)],
                                   cwd=elsewhere, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 60
            page = None
            while time.time() < deadline and page is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/trainings", timeout=2) as response:
                        page = response.read().decode()
                except OSError:
                    time.sleep(0.3)
            assert page is not None, "the server did not answer"
            assert "Catalogue des formations" in page, "templates and the catalogue were found"
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/css/maillon.css", timeout=2) as response:
                assert response.status == 200, "static files were found"
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_refuses_a_working_directory_that_does_not_exist():
    result = subprocess.run([str(BINARY), "serve", "--working-directory", "/nonexistent/maillon"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "cannot change to the working directory" in result.stderr
