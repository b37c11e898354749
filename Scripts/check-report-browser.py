#!/usr/bin/env python3
"""Opens the HTML progress report in headless Chromium (Debian's chromium and chromium-driver, through
Selenium), saves a 1280x800 screenshot and an A4 PDF, and checks that the page made no request other
than for itself: no script, font, image or style from anywhere.

Usage: python3 Scripts/check-report-browser.py PATH/TO/merkisto [--out DIR]
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.print_page_options import PrintOptions

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def merkisto(binary, work, *arguments):
    result = subprocess.run([binary, *arguments, "--db", os.path.join(work, "merkisto.sqlite")], capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        sys.exit(f"check-report-browser: merkisto {arguments[0]} failed: {result.stderr}")
    return result.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("merkisto")
    parser.add_argument("--out", default=None, help="where to keep the screenshot and the PDF (default: a temporary folder)")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="merkisto-report-")
    out = os.path.abspath(args.out or work)
    os.makedirs(out, exist_ok=True)
    binary = os.path.abspath(args.merkisto)

    merkisto(binary, work, "import", "examples/clients/edistyja.json")
    merkisto(binary, work, "pathway", "start", "asiakas-3f9d", "--at", "2026-01-10", "--decision-end", "2026-07-15")
    for phase, date in (("aktivointisuunnitelma", "2026-01-12"), ("palvelupaatos", "2026-01-15"), ("tutustuminen", "2026-01-20"),
                        ("tyotoimintajakso", "2026-02-01"), ("valiarviointi", "2026-04-16"), ("tyotoimintajakso", "2026-04-20")):
        merkisto(binary, work, "pathway", "advance", "asiakas-3f9d", phase, "--at", date)
    page = os.path.join(work, "report.html")
    merkisto(binary, work, "report", "asiakas-3f9d", "--format", "html", "--at", "2026-11-22T12:00:00+02:00", "--out", page)

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,800", "--hide-scrollbars"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    failures = []
    try:
        driver.set_window_size(1280, 800)
        url = "file://" + page
        driver.get(url)
        screenshot = os.path.join(out, "report-1280x800.png")
        driver.save_screenshot(screenshot)
        print_options = PrintOptions()
        print_options.page_width = 21.0
        print_options.page_height = 29.7
        print_options.background = True
        pdf = base64.b64decode(driver.print_page(print_options))
        with open(os.path.join(out, "report-a4.pdf"), "wb") as file:
            file.write(pdf)
        if not pdf.startswith(b"%PDF"):
            failures.append("the printed page is not a PDF")
        # Every network request the page made, from the DevTools performance log.
        requests = []
        for entry in driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                requests.append(message["params"]["request"]["url"])
        others = [request for request in requests if request != url]
        if url not in requests:
            failures.append(f"the log does not show the page itself being loaded; requests seen: {requests}")
        if others:
            failures.append(f"the page made requests: {others}")
        title = driver.title
        if "asiakas-3f9d" not in title:
            failures.append(f"unexpected title {title!r}")
    finally:
        driver.quit()
    for failure in failures:
        print(f"check-report-browser: FAIL {failure}")
    if failures:
        return 1
    print(f"check-report-browser: the report made no request; screenshot and A4 PDF in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
