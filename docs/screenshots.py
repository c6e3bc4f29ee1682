"""The README's screenshots of the Shop tab, in English (docs/shop-tab.png) and German
(docs/shop-tab-de.png): the demo store seeded into a throw-away SQLite database, served on a free
port, photographed by Chromium (the system's, else Playwright's) with Alex logged in to Facebook.

    .venv/bin/python docs/screenshots.py            # both
    .venv/bin/python docs/screenshots.py de         # German only
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from pageshop import create_app  # noqa: E402
from pageshop.extensions import db  # noqa: E402
from pageshop.seed import DEMO_PASSWORD, seed_demo  # noqa: E402

SHOTS = {"en": ("en-US", "shop-tab.png"), "de": ("de-DE", "shop-tab-de.png")}
VIEWPORT = {"width": 1280, "height": 1100}


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def main(languages: list[str]) -> None:
    folder = tempfile.mkdtemp(prefix="pageshop-screenshots-")
    try:
        app = create_app({"SECRET_KEY": "screenshots", "TESTING": True,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/demo.sqlite",
                          "UPLOAD_FOLDER": os.path.join(folder, "uploads"), "MAIL_SERVER": None})
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            seed_demo()
            db.session.commit()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        base = f"http://127.0.0.1:{server.server_port}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
            for language in languages:
                locale, filename = SHOTS[language]
                page = browser.new_context(locale=locale, viewport=VIEWPORT).new_page()
                page.goto(f"{base}/facebook/login?next=/shop")
                page.locator("#email").fill("alex@example.com")
                page.locator("#password").fill(DEMO_PASSWORD)
                page.locator("form.card button[type=submit]").click()
                page.wait_for_url(f"{base}/shop")
                page.wait_for_load_state("networkidle")
                path = os.path.join(ROOT, "docs", filename)
                page.screenshot(path=path)
                print(f"{path}  ({locale})")
                page.context.close()
            browser.close()
        server.shutdown()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:] or list(SHOTS))
