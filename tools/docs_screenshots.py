"""Take the screenshots of the tutorial "Enter a patient in the web EDC" (docs/img/edc-*.png).

Runs the tutorial's own commands on a new SQLite database in a temporary folder (db upgrade,
user first-admin, user site, user add), serves it with ``oncotrial serve`` on a free loopback
port, signs in as the coordinator in headless Chromium (the system's, driven by Playwright:
``chromium --screenshot`` alone cannot sign in) and saves each page as the tutorial shows it.

    .venv/bin/python tools/docs_screenshots.py [--chromium /usr/bin/chromium]

``--as-of`` fixes the casebook's "today" so that the pictures do not change from day to day.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"
AS_OF = "2026-12-01"
ADMIN_PASSWORD = "ada keeps the casebook honest"  # noqa: S105 - the tutorial's example
GRACE_PASSWORD = "harbour lantern quietly 42"  # noqa: S105
INES_PASSWORD = "saffron bicycle meadow 17"  # noqa: S105


def oncotrial(*args: str, env: dict[str, str], new_password: str | None = None) -> None:
    """Run one tutorial command; stop on failure."""
    extra = {"ONCOTRIAL_NEW_PASSWORD": new_password} if new_password else {}
    cli = [sys.executable, "-m", "oncotrial", *args]
    subprocess.run(cli, env=env | extra, check=True, stdin=subprocess.DEVNULL)  # noqa: S603


def set_up(folder: Path) -> dict[str, str]:
    """The tutorial's database, administrator, site and two users."""
    env = dict(os.environ, ONCOTRIAL_DB_URL=f"sqlite:///{folder / 'trial.sqlite'}")
    oncotrial("db", "upgrade", env=env)
    oncotrial("user", "first-admin", "ada", "--name", "Ada Admin", env=env,
              new_password=ADMIN_PASSWORD)
    env["ONCOTRIAL_PASSWORD"] = ADMIN_PASSWORD
    oncotrial("user", "site", "01", "--name", "National Taiwan University Hospital",
              "--as", "ada", env=env)
    oncotrial("user", "add", "grace", "--name", "Grace Chen", "--role", "coordinator",
              "--site", "01", "--as", "ada", env=env, new_password=GRACE_PASSWORD)
    oncotrial("user", "add", "ines", "--name", "Ines Ito", "--role", "investigator",
              "--site", "01", "--as", "ada", env=env, new_password=INES_PASSWORD)
    del env["ONCOTRIAL_PASSWORD"]
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str) -> None:
    for _ in range(120):
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback only
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server did not answer at {url}")


def walk(page: Page, base: str) -> None:
    """The tutorial's steps as the coordinator, with a screenshot where the tutorial has one."""
    page.goto(f"{base}/login")
    page.fill("#username", "grace")
    page.fill("#password", GRACE_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    # a first password opens only the account page: change it, then sign in again
    page.fill("#old_password", GRACE_PASSWORD)
    page.fill("#new_password", GRACE_PASSWORD + " anew")
    page.click("form[action='/account/password'] button[type=submit]")
    page.wait_for_load_state()
    page.fill("#username", "grace")
    page.fill("#password", GRACE_PASSWORD + " anew")
    page.click("button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{base}/subjects/new")
    page.fill("#screening_number", "01-001")
    page.fill("#consent_date", "2026-11-30")
    page.fill("#consent_version", "3.0")
    page.fill("#birth_date", "1961-04-12")
    page.check("input[name=sex][value=F]")
    page.select_option("#histology", "LMS")
    page.screenshot(path=str(IMG / "edc-register.png"))
    page.click("main button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{base}/subjects/01-001/visits/SCREENING/forms/cbc")
    for test, value, lln, uln in (("neut", "1.2", "1.8", "7.5"), ("plat", "62", "150", "400")):
        page.select_option(f"#new-{test}_unit", "10^9/L")
        page.fill(f"#new-{test}_value", value)
        page.fill(f"#new-{test}_lln", lln)
        page.fill(f"#new-{test}_uln", uln)
    page.click("h1")  # leave the last field: its grade is fetched on change
    page.wait_for_selector("text=Platelet count decreased: grade 2")
    page.screenshot(path=str(IMG / "edc-cbc.png"))
    page.fill("#new-visit_date", "2026-12-01")
    page.click("#new-entry button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{base}/subjects/01-001")
    page.screenshot(path=str(IMG / "edc-subject.png"))


def shrink(path: Path) -> None:
    """Store the screenshot with a 256-colour palette (a third of the size, same look)."""
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default=os.environ.get("ONCOTRIAL_TEST_CHROMIUM",
                                                             "/usr/bin/chromium"))
    chromium = parser.parse_args().chromium
    IMG.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = set_up(Path(tmp))
        port = free_port()
        server = subprocess.Popen(  # noqa: S603 - our own CLI
            [sys.executable, "-m", "oncotrial", "serve", "--port", str(port), "--as-of", AS_OF],
            env=env, stdin=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/login")
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium,
                                             args=["--no-sandbox", "--disable-gpu"])
                page = browser.new_context(viewport={"width": 1000, "height": 640}).new_page()
                walk(page, base)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    for name in ("edc-register.png", "edc-cbc.png", "edc-subject.png"):
        shrink(IMG / name)
        print(f"wrote {IMG / name} ({(IMG / name).stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
