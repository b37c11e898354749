#!/usr/bin/env python3
"""The web pages in a real browser: headless Chromium (Debian's chromium and chromium-driver, driven by
Selenium) against `merkisto serve --demo` on 127.0.0.1.

  * an instructor signs in, records an assessment, sees a badge become earned and awards it;
  * the instructor makes a one-time sign-in link; the client opens it, signs in and downloads the
    credential; ../shared/tools/peers/ob3_verify.py verifies the downloaded file with the server's JWK;
  * the public verification page says the credential is valid, and revoked after the instructor revokes it;
  * every main page is saved as a screenshot at 1280x800 and 390x844, and axe-core (the copy that the
    PyPI package axe-playwright-python carries) finds no serious or critical violation on any of them;
  * no page asks for anything from another origin.

Usage: python3 Scripts/check-pages.py PATH/TO/merkisto [PEERS] [--port 8799] [--out DIR]
"""
import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_server  # noqa: E402

SIZES = ((1280, 800), (390, 844))


def axe_source():
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("check-pages: install axe-core's script with: python3 -m pip install --no-deps axe-playwright-python==0.1.8")
    with open(os.path.join(spec.submodule_search_locations[0], "axe.min.js"), encoding="utf-8") as file:
        return file.read()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("merkisto")
    parser.add_argument("peers", nargs="?", default=None)
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--out", default=None, help="where to keep the screenshots (default: a temporary folder)")
    args = parser.parse_args()
    args.merkisto = os.path.abspath(args.merkisto)
    work = tempfile.mkdtemp(prefix="merkisto-pages-")
    out = os.path.abspath(args.out or os.path.join(work, "shots"))
    os.makedirs(out, exist_ok=True)
    base = f"http://127.0.0.1:{args.port}"
    axe = axe_source()
    failures = []
    expect = demo_server.expecter(failures, limit=3000)

    server = demo_server.start(args.merkisto, args.port, os.path.join(work, "merkisto.sqlite"), work)
    if server is None:
        print("check-pages: the server did not start", file=sys.stderr)
        return 1
    # The demo prints the users' passwords before it serves.
    printed = ""
    passwords = {}
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,800", "--hide-scrollbars", "--lang=fi-FI"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "fi-FI,fi"})
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    shots = []
    try:
        printed = demo_server.printed(server)
        for line in printed.splitlines():
            match = re.match(r"\s+(\S+) \((admin|instructor|client)\), password (\S+)", line)
            if match:
                passwords[match.group(1)] = match.group(3)
        expect("the demo printed the instructor's and the admin's passwords", "demo-ohjaaja" in passwords and "demo-admin" in passwords, printed)

        def shoot(name):
            """Screenshots at both sizes, axe-core at both sizes."""
            for width, height in SIZES:
                driver.execute_cdp_cmd(
                    "Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
                path = os.path.join(out, f"{name}-{width}x{height}.png")
                driver.save_screenshot(path)
                shots.append(path)
                driver.execute_script(axe)
                violations = driver.execute_async_script(
                    "const done = arguments[arguments.length - 1];"
                    "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
                    ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
                    " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))))"
                    ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));")
                bad = [v for v in violations if v["impact"] in ("serious", "critical")]
                expect(f"axe: {name} at {width}x{height} has no serious or critical violation", not bad, json.dumps(bad, ensure_ascii=False, indent=1))
            driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

        def go(path):
            driver.get(base + path)

        def fill(element_id, value):
            def type_in():
                field = driver.find_element(By.ID, element_id)
                field.clear()
                field.send_keys(value)
            retrying(type_in)

        def retrying(action):
            # An element can be found while the browser is still settling the page it belongs to (more so on a
            # busy machine): try such a step again, a few times.
            for attempt in range(4):
                try:
                    return action()
                except WebDriverException as error:
                    settling = isinstance(error, StaleElementReferenceException) or "does not belong to the document" in str(error)
                    if attempt == 3 or not settling:
                        raise
                    time.sleep(0.5)

        def gone(element):
            # Replaced by a new page: Chromium says so as a stale element, or as a node of another document.
            try:
                element.is_enabled()
                return False
            except WebDriverException as error:
                return isinstance(error, StaleElementReferenceException) or "does not belong to the document" in str(error)

        def follow(by, selector):
            # Click what loads another page, and wait until that page has replaced this one.
            page = driver.find_element(By.TAG_NAME, "html")
            retrying(lambda: driver.find_element(by, selector).click())
            WebDriverWait(driver, 20).until(lambda _: gone(page))

        def submit(selector="main form button[type=submit]"):
            follow(By.CSS_SELECTOR, selector)

        def paste(element_id, text):
            # As a paste: the whole text at once (typing 14 000 characters key by key is slow and flaky).
            retrying(lambda: driver.execute_script("arguments[0].value = arguments[1];", driver.find_element(By.ID, element_id), text))

        def result_text():
            found = driver.find_elements(By.CSS_SELECTOR, ".result")
            return found[0].text if found else ""

        def main_text():
            return driver.find_element(By.TAG_NAME, "main").text

        # Signing in.
        go("/")
        expect("a visitor who is not signed in gets the sign-in page", driver.current_url.startswith(base + "/signin"), driver.current_url)
        shoot("signin")
        fill("user", "demo-ohjaaja")
        fill("password", "wrong password")
        submit()
        expect("a wrong password is refused on the form, next to its fields", "väärä" in main_text(), main_text())
        shoot("signin-refused")
        fill("user", "demo-ohjaaja")
        fill("password", passwords.get("demo-ohjaaja", ""))
        submit()
        expect("the instructor signs in and sees the client list", driver.current_url == base + "/clients", driver.current_url)
        shoot("clients")

        # A client with nothing earned yet: the beginner of the examples.
        rows = driver.find_elements(By.CSS_SELECTOR, "table.list tbody tr")
        beginner = None
        for row in rows:
            cells = row.find_elements(By.TAG_NAME, "td")
            if cells and cells[-1].text.strip() == "0":
                beginner = row.find_element(By.TAG_NAME, "a").text
        expect("the list has a client with no badges", beginner is not None)
        beginner = beginner or "asiakas-7k2m"
        go(f"/clients/{beginner}")
        expect("the client page says there is nothing to award yet", "ei ole nyt uusia ansaittuja merkkejä" in main_text(), main_text()[:800])
        shoot("client")

        # The instrument's questionnaire as a form (looked at, not filled in).
        go(f"/clients/{beginner}/assessment")
        questionnaires = driver.find_elements(By.CSS_SELECTOR, "a[href*='assessment?instrument=']")
        expect("the assessment page offers the instruments' questionnaires", len(questionnaires) > 0)
        if questionnaires:
            follow(By.CSS_SELECTOR, "a[href*='assessment?instrument=']")
            expect("a questionnaire shows its questions as choices", len(driver.find_elements(By.CSS_SELECTOR, "fieldset.question input[type=radio]")) > 10)
            shoot("questionnaire")
        # The levels form starts empty (the current levels only as hints) and, saved unchanged, records
        # nothing and says why: a self-assessment is never saved again as an observation.
        go(f"/clients/{beginner}/assessment")
        shoot("assessment")
        chosen = driver.execute_script("return [...document.querySelectorAll('select[id^=level-]')].filter(s => s.value !== '').length")
        checked = driver.execute_script("return document.querySelectorAll('input[name=evidence]:checked').length")
        expect("the levels form starts with no level and no evidence chosen", chosen == 0 and checked == 0, f"{chosen} levels, {checked} evidence")
        submit()
        expect("the levels form saved unchanged records nothing and says why",
               "Mitään ei tallennettu" in main_text() and "Arviointi on tallennettu" not in main_text(), main_text()[:800])
        shoot("assessment-unchanged")
        # Record an assessment: level 4 in every competence, observed.
        go(f"/clients/{beginner}/assessment")
        def choose_levels():
            for select in driver.find_elements(By.CSS_SELECTOR, "select[id^=level-]"):
                select.find_element(By.CSS_SELECTOR, "option[value='4']").click()
            driver.find_element(By.ID, "evidence-observed").click()
        retrying(choose_levels)
        submit()
        expect("the assessment is saved and the client page says so", "Arviointi on tallennettu" in main_text() and f"/clients/{beginner}" in driver.current_url,
               driver.current_url + "\n" + main_text()[:500])
        award_links = driver.find_elements(By.CSS_SELECTOR, "ul.cards a.button")
        expect("a badge has become earned: the page offers to award it", len(award_links) > 0, main_text()[:1500])
        if not award_links:
            return finish(driver, server, failures, shots)
        follow(By.CSS_SELECTOR, "ul.cards a.button")
        shoot("award")
        retrying(lambda: driver.find_element(By.CSS_SELECTOR, "#language option[value='en']").click())
        retrying(lambda: driver.find_element(By.ID, "ob2").click())  # and its OB 2.0 twin
        submit()
        expect("the badge is awarded", "Merkki on myönnetty" in main_text(), main_text()[:500])
        # The award's decision, made again under the definitions version it was issued under.
        follow(By.CSS_SELECTOR, "a[href*='/decision?credential=']")
        expect("the decision page says the badge was earned when issued", "Merkki oli ansaittu" in main_text(), main_text()[:500])
        shoot("decision")

        go(f"/clients/{beginner}/report")
        expect("the printable progress report opens", "asiakas" in driver.title.lower() or beginner in driver.page_source, driver.title)
        shoot("report")
        go(f"/clients/{beginner}")

        # A one-time sign-in link for the client.
        follow(By.XPATH, "//form[contains(@action, '/signin-code')]//button")
        link = driver.find_element(By.CSS_SELECTOR, ".code-sheet .link").text.strip()
        expect("the instructor gets a sign-in link with a QR code", link.startswith(base + "/signin?code=") and driver.find_elements(By.CSS_SELECTOR, ".qr svg"), link)
        shoot("signin-code")
        staff_cookie = driver.get_cookie("merkisto_session")

        # The client opens the link (another browser session: no instructor's cookie).
        driver.delete_all_cookies()
        driver.get(link)
        expect("the link opens the code form with the code filled in", driver.find_element(By.ID, "code").get_attribute("value") == link.split("code=")[1])
        shoot("signin-with-code")
        submit()
        expect("the client signs in with the code and sees their badges", driver.current_url == base + "/my", driver.current_url)
        shoot("my-badges")
        badge_links = driver.find_elements(By.CSS_SELECTOR, ".badge-list a")
        expect("the client sees the badge awarded to them", len(badge_links) == 1, main_text())
        follow(By.CSS_SELECTOR, ".badge-list a")
        badge_page = driver.current_url[len(base):]
        shoot("badge")
        jwt_link = driver.find_element(By.CSS_SELECTOR, "a[href$='/credential.jwt']").get_attribute("href")
        client_cookie = driver.get_cookie("merkisto_session")
        token = fetch(jwt_link, client_cookie).decode()
        downloaded = os.path.join(work, "downloaded.jwt")
        with open(downloaded, "w") as file:
            file.write(token)
        expect("the credential downloads as a compact JWS", token.count(".") == 2, token[:80])
        ob2_links = driver.find_elements(By.CSS_SELECTOR, "a[href*='/assertion.']")
        expect("the badge page also offers the OB 2.0 assertion", len(ob2_links) == 1)
        assertion = fetch(ob2_links[0].get_attribute("href"), client_cookie).decode() if ob2_links else ""
        image_link = driver.find_element(By.CSS_SELECTOR, "a[href*='/badge.']").get_attribute("href")
        image = fetch(image_link, client_cookie)
        expect("the baked badge image downloads", image[:4] == b"\x89PNG" or b"<svg" in image[:2000], image[:16])
        # Everything to take: the zip from "my badges", its README in Finnish, each file named in it.
        go("/my")
        export_link = driver.find_element(By.CSS_SELECTOR, "a[href='/my/export']").get_attribute("href")
        archive_bytes = fetch(export_link, client_cookie)
        import zipfile, io
        archive = zipfile.ZipFile(io.BytesIO(archive_bytes))
        names = archive.namelist()
        expect("the zip holds a README, the record and the badge's files", any(n.endswith("/README.txt") for n in names)
               and any(n.endswith("/record.json") for n in names) and any(n.endswith("/credential.jwt") for n in names), names)
        readme = archive.read(next(n for n in names if n.endswith("/README.txt"))).decode() if names else ""
        expect("the README is in Finnish and names every file", "kaikki tiedot, jotka Merkistossa on sinusta" in readme
               and all(n.rsplit("/", 1)[-1] in readme for n in names if not n.endswith("README.txt")), readme[:400])
        archive_dir = os.path.join(work, "archive")
        archive.extractall(archive_dir)
        archived = [os.path.join(archive_dir, n) for n in names]
        # A share link: on, opened signed out (no pseudonym on it), off (then gone).
        go(badge_page)
        follow(By.CSS_SELECTOR, "form[action$='/share'] button")
        expect("the share link is on", driver.find_elements(By.ID, "share-url"), main_text()[:400])
        shoot("badge-shared")
        share_url = driver.find_element(By.ID, "share-url").get_attribute("value")
        # The badge page in Swedish and English too.
        for lang in ("sv", "en"):
            go(f"{badge_page}?lang={lang}")
            expect(f"the badge page is in {lang}", driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang)
            shoot(f"badge-shared-{lang}")
        go(f"{badge_page}?lang=fi")
        driver.delete_all_cookies()
        driver.get(share_url)
        expect("the share link opens signed out and says the badge is valid", "aito ja voimassa" in main_text(), main_text()[:400])
        expect("the shared page does not show the client's id", beginner not in driver.page_source)
        shoot("shared")
        for lang in ("sv", "en"):
            driver.get(f"{share_url}?lang={lang}")
            expect(f"the shared page is in {lang}", driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang)
            shoot(f"shared-{lang}")
        driver.get(f"{share_url}?lang=fi")
        driver.add_cookie({"name": "merkisto_session", "value": client_cookie["value"], "path": "/"})
        go(badge_page)
        follow(By.CSS_SELECTOR, "form[action$='/unshare'] button")
        expect("the share link is off", not driver.find_elements(By.ID, "share-url"), main_text()[:400])
        driver.delete_all_cookies()
        driver.get(share_url)
        expect("a link turned off no longer works", "ei ole käytössä" in main_text(), main_text()[:400])
        driver.add_cookie({"name": "merkisto_session", "value": client_cookie["value"], "path": "/"})
        go("/my/progress")
        shoot("my-progress")

        # Add to a wallet: the badge page's button opens an exchange; the page shows its QR code and links.
        go(badge_page)
        driver.execute_script("document.getElementById('wallet').scrollIntoView()")
        shoot("badge-wallet")
        follow(By.CSS_SELECTOR, "form[action$='/wallet'] button")
        interaction = driver.find_element(By.ID, "wallet-url").get_attribute("value")
        expect("the wallet page shows an interaction URL, its QR code and an interaction: link",
               interaction.startswith(base + "/wallet/") and interaction.endswith("?iuv=1") and driver.find_elements(By.CSS_SELECTOR, ".qr svg")
               and driver.find_elements(By.CSS_SELECTOR, "a[href^='interaction:']"), interaction)
        shoot("wallet")
        go(interaction[len(base):])
        expect("the interaction URL opened in a browser tells a person to use a wallet app", "lompakkosovellus" in main_text(), main_text()[:300])
        shoot("wallet-app")

        # The skills summary (a CLR 2.0 hand-over package) from "my badges": the page's own form, posted as
        # the browser would post it; every credential inside passes the peers below.
        go("/my")
        driver.execute_script("document.getElementById('handover').scrollIntoView()")
        shoot("my-handover")
        csrf = driver.find_element(By.CSS_SELECTOR, "form[action='/my/handover'] input[name=csrf]").get_attribute("value")
        status, headers, package_bytes = post(base + "/my/handover", {"csrf": csrf}, client_cookie)
        expect("the client downloads their skills summary", status == 200 and headers.get("Content-Disposition", "").startswith("attachment;"),
               f"{status} {headers}")
        package_type = headers.get("Content-Type", "")
        package = json.loads(b64url(package_bytes.decode().split(".")[1]) if package_type == "application/vc+jwt" else package_bytes)
        expect("the summary is a ClrCredential without the client's id", "ClrCredential" in package.get("type", [])
               and beginner not in json.dumps(package), package.get("type"))
        carried = package.get("credentialSubject", {}).get("verifiableCredential", [])
        expect("the summary carries the badge and the progress towards the baselines", len(carried) >= 3, len(carried))

        if args.peers:
            header = json.loads(b64url(token.split(".")[0]))
            jwks = json.loads(fetch(base + "/keys/jwks.json"))
            jwk = next((key for key in jwks["keys"] if header["kid"].endswith("/" + key["kid"] + ".json")), None)
            expect("the server's JWKS has the downloaded credential's key", jwk is not None, header)
            if jwk is not None:
                with open(os.path.join(work, "jwk.json"), "w") as file:
                    json.dump(jwk, file)
                result = subprocess.run(
                    [sys.executable, os.path.join(os.path.abspath(args.peers), "ob3_verify.py"), open(downloaded).read(), "--key", os.path.join(work, "jwk.json")],
                    capture_output=True, text=True, cwd=work)
                expect("ob3_verify.py verifies the downloaded credential", result.returncode == 0, result.stdout + result.stderr)
            result = subprocess.run(
                [sys.executable, os.path.join(os.path.abspath(args.peers), "ob2_verify.py"), assertion], capture_output=True, text=True, cwd=work)
            expect("ob2_verify.py verifies the downloaded OB 2.0 assertion", result.returncode == 0, result.stdout + result.stderr)
            # Every credential in the skills summary passes the peers as it stands inside.
            did_doc = save(work, "did.json", fetch(base + "/issuers/esimerkkialue/did.json"))
            for number, entry in enumerate(carried):
                if isinstance(entry, str):
                    kid = json.loads(b64url(entry.split(".")[0]))["kid"].rsplit("/", 1)[1]
                    key_file = save(work, f"summary-key-{number}.json", fetch(base + "/keys/" + kid))
                    command = ["ob3_verify.py", entry, "--key", key_file]
                else:
                    command = ["ob3_ldp_verify.py", save(work, f"summary-{number}.json", json.dumps(entry).encode()), "--did-doc", did_doc]
                result = subprocess.run([sys.executable, os.path.join(os.path.abspath(args.peers), command[0])] + command[1:],
                                        capture_output=True, text=True, cwd=work)
                expect(f"{command[0]} verifies entry {number} of the skills summary", result.returncode == 0, result.stdout + result.stderr)
            # Every credential in the zip passes the peers.
            for path in archived:
                name = os.path.basename(path)
                if name == "credential.jwt" and jwk is not None:
                    command = ["ob3_verify.py", open(path).read().strip(), "--key", os.path.join(work, "jwk.json")]
                elif name in ("assertion.json", "assertion.jws"):
                    command = ["ob2_verify.py", path]
                elif name in ("badge.png", "badge.svg"):
                    # openbadges-bakery reads the credential back out of the picture: one of the badge's files.
                    result = subprocess.run([sys.executable, os.path.join(os.path.abspath(args.peers), "unbake.py"), path], capture_output=True, text=True, cwd=work)
                    siblings = [open(os.path.join(os.path.dirname(path), other)).read().strip() for other in os.listdir(os.path.dirname(path))
                                if other.startswith(("credential", "assertion"))]
                    expect(f"unbake.py reads {os.path.relpath(path, archive_dir)} from the zip: the badge's credential",
                           result.returncode == 0 and any(sibling and sibling in result.stdout for sibling in siblings), result.stdout[:200] + result.stderr)
                    continue
                elif name == "credential-ldp.json":
                    did_doc = save(work, "did.json", fetch(base + "/issuers/esimerkkialue/did.json"))
                    command = ["ob3_ldp_verify.py", path, "--did-doc", did_doc]
                else:
                    continue
                result = subprocess.run([sys.executable, os.path.join(os.path.abspath(args.peers), command[0])] + command[1:],
                                        capture_output=True, text=True, cwd=work)
                expect(f"{command[0]} verifies {os.path.relpath(path, archive_dir)} from the zip", result.returncode == 0, result.stdout + result.stderr)

        # The public verification page: valid.
        driver.delete_all_cookies()
        go("/verify")
        shoot("verify")
        paste("credential", token)
        submit()
        expect("the verification page says the credential is valid", "aito ja voimassa" in result_text(), main_text()[:600])
        shoot("verify-valid")
        picture = save(work, "badge-image" + (".png" if image[:4] == b"\x89PNG" else ".svg"), image)
        retrying(lambda: driver.find_element(By.ID, "image").send_keys(picture))
        paste("credential", "")
        submit()
        expect("the verification page reads the baked image: valid", "aito ja voimassa" in result_text(), main_text()[:600])

        # The instructor revokes it; the verification page then says so.
        driver.add_cookie({"name": "merkisto_session", "value": staff_cookie["value"], "path": "/"})
        go(f"/clients/{beginner}")
        follow(By.XPATH, "//tr[td[normalize-space()='ob3-jwt']]//a[contains(@href, '/revoke?credential=')]")
        submit()
        expect("a revocation without a reason is refused on its form", driver.find_element(By.ID, "reason").get_attribute("aria-invalid") == "true", main_text()[:400])
        shoot("revoke")
        fill("reason", "myönnetty väärälle asiakkaalle")
        submit()
        expect("the instructor revokes the credential", "Merkki on peruttu" in main_text(), main_text()[:400])
        driver.delete_all_cookies()
        go("/verify")
        paste("credential", token)
        submit()
        expect("the verification page then says it is revoked", "Merkki on peruttu" in result_text() and "aito ja voimassa" not in result_text(), main_text()[:600])
        shoot("verify-revoked")

        # The instructor's skills summary for the client: only after ticking that the client agrees.
        driver.add_cookie({"name": "merkisto_session", "value": staff_cookie["value"], "path": "/"})
        go(f"/clients/{beginner}")
        driver.execute_script("document.getElementById('handover-heading').scrollIntoView()")
        shoot("client-handover")
        csrf = driver.find_element(By.CSS_SELECTOR, "form[action$='/handover'] input[name=csrf]").get_attribute("value")
        status, _, refused = post(base + f"/clients/{beginner}/handover", {"csrf": csrf}, staff_cookie)
        expect("without the client's agreement the summary is not made, and the page says why", status == 400 and "kysy asiakkaalta ensin" in refused.decode(),
               f"{status} {refused[:300]}")
        status, headers, _ = post(base + f"/clients/{beginner}/handover", {"csrf": csrf, "consent": "yes"}, staff_cookie)
        expect("with it, the instructor downloads the summary", status == 200 and headers.get("Content-Type") in ("application/vc+jwt", "application/vc+ld+json"),
               f"{status} {headers}")
        driver.delete_all_cookies()

        # A badge that asks the instructor to confirm (työnhaku verkossa): the levels recorded above meet the
        # rest of it; the instructor confirms after a confirmation step, and the badge becomes awardable.
        driver.add_cookie({"name": "merkisto_session", "value": staff_cookie["value"], "path": "/"})
        go(f"/clients/{beginner}")
        expect("the client page lists the confirmation the badge asks for", "ei vielä vahvistettu" in main_text(), main_text()[:1200])
        expect("the badge asking for confirmation is not awardable yet",
               not driver.find_elements(By.CSS_SELECTOR, "a[href$='award?badge=tyonhaku-verkossa']"))
        follow(By.CSS_SELECTOR, "a[href$='attest?badge=tyonhaku-verkossa']")
        expect("confirming has its own step that says what it means", "Vahvista vain, jos olet nähnyt sen itse" in main_text(), main_text()[:600])
        shoot("attest")
        submit()
        expect("the confirmation is saved, with who and when", "Vahvistus tallennettu" in main_text() and "vahvistanut demo-ohjaaja" in main_text(),
               main_text()[:1200])
        shoot("client-attested")
        follow(By.CSS_SELECTOR, "a[href$='award?badge=tyonhaku-verkossa']")
        submit()
        expect("the confirmed badge is awarded", "Merkki on myönnetty" in main_text(), main_text()[:500])
        driver.delete_all_cookies()

        # Other languages: the switch, remembered.
        go("/verify?lang=sv")
        expect("the language switch shows the page in Swedish", driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "sv", driver.title)
        go("/signin")
        expect("the chosen language is remembered", driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "sv", driver.title)
        shoot("signin-sv")
        go("/signin?lang=en")
        shoot("signin-en")
        go("/signin?lang=fi")

        # The administrator's pages.
        go("/signin")
        fill("user", "demo-admin")
        fill("password", passwords.get("demo-admin", ""))
        submit()
        for path, name in (("/admin/definitions", "admin-definitions"), ("/admin/keys", "admin-keys"), ("/admin/users", "admin-users"), ("/admin/audit", "admin-audit"), ("/admin/tokens", "admin-tokens"), ("/admin/import", "admin-import")):
            go(path)
            expect(f"{path} opens for the admin", driver.find_elements(By.TAG_NAME, "h1") and "error" not in driver.title.lower(), driver.title)
            shoot(name)
        go("/admin/definitions")
        follow(By.XPATH, "//form[@action='/admin/definitions/dry-run']//button")
        expect("the dry run answers on the definitions page", "asiakasta tarkistettu" in main_text(), main_text()[:600])
        shoot("admin-dry-run")

        # Definitions as versions: a set with an error (refused, located), the fixed set (kept), its dry run,
        # put in use, two versions listed, rolled back. The archives are made by Python's zipfile.
        import zipfile, shutil
        source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources", "DemoContent", "BadgeDefinitions")
        def definitions_zip(name, change):
            folder = os.path.join(work, name)
            shutil.copytree(source, folder)
            path = os.path.join(folder, "badges", "asiointi-verkossa.xml")
            text = open(path, encoding="utf-8").read()
            open(path, "w", encoding="utf-8").write(text.replace(*change))
            archive = os.path.join(work, name + ".zip")
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
                for root, _, files in os.walk(folder):
                    for file in files:
                        full = os.path.join(root, file)
                        out.write(full, os.path.join(name, os.path.relpath(full, folder)))
            return archive
        broken = definitions_zip("rikki", ('<competence ref="1.3"', '<competence ref="9.9"'))
        fixed = definitions_zip("korjattu", ('min-level="2" evidence="observed"', 'min-level="3" evidence="observed"'))
        go("/admin/definitions")
        driver.find_element(By.ID, "archive").send_keys(broken)
        follow(By.XPATH, "//form[@action='/admin/definitions/upload']//button")
        expect("a set with an error is refused with its place", "Versiota ei tallennettu" in main_text() and "badges/asiointi-verkossa.xml:15:" in main_text(), main_text()[:800])
        shoot("definitions-refused")
        driver.find_element(By.ID, "archive").send_keys(fixed)
        follow(By.XPATH, "//form[@action='/admin/definitions/upload']//button")
        expect("the fixed set is kept", "Uusi versio on tallennettu" in main_text(), main_text()[:600])
        rows = driver.find_elements(By.CSS_SELECTOR, "tr[id^='version-']")
        expect("two versions are listed", len(rows) == 2, main_text()[:600])
        follow(By.XPATH, "//tr[starts-with(@id, 'version-')]//form[contains(@action, '/dry-run')]//button")
        expect("the dry run of the new version answers", "Versio " in main_text() and "asiakasta tarkistettu" in main_text(), main_text()[:600])
        shoot("definitions-version-dry-run")
        follow(By.XPATH, "//section[@aria-labelledby='dry-heading']//form//button")
        expect("the new version is in use", "Versio on nyt käytössä" in main_text(), main_text()[:600])
        shoot("definitions-versions")
        follow(By.XPATH, "//tr[starts-with(@id, 'version-')]//form[contains(@action, '/activate')]//button")
        expect("rolled back: the first version is in use again", "Versio on nyt käytössä" in main_text()
               and driver.find_elements(By.XPATH, "//tr[starts-with(@id, 'version-')][last()]//strong"), main_text()[:600])

        # The admin imports two record files: one goes in, the broken one is refused with its JSON path.
        good = save(work, "tuotu-selaimella.json", json.dumps({"client": "tuotu-selaimella"}).encode())
        broken = save(work, "rikki.json", json.dumps({"client": "rikki-selaimella", "assessments": [{"id": "x"}]}).encode())
        go("/admin/import")
        driver.find_element(By.ID, "files").send_keys(good + "\n" + broken)
        submit()
        expect("the import page says what became of each file", "Tuotu: 1. Ei tuotu: 1." in main_text() and "assessments[0]" in main_text(), main_text()[:600])
        shoot("admin-import-done")

        # The admin erases a client after typing the id (a wrong id erases nothing and says why).
        go(f"/clients/{beginner}")
        follow(By.CSS_SELECTOR, f"a[href='/clients/{beginner}/erase']")
        shoot("erase")
        fill("confirm", beginner + "x")
        submit()
        expect("erasing with a wrong id is refused on its form", driver.find_element(By.ID, "confirm").get_attribute("aria-invalid") == "true",
               main_text()[:400])
        fill("confirm", beginner)
        submit()
        expect("the admin erases the client after typing the id", "Asiakkaan tiedot on poistettu" in main_text(), main_text()[:400])

        # The administrator's new pages in Swedish and English too.
        for lang in ("sv", "en"):
            for path, name in (("/admin/definitions", "admin-definitions"), ("/admin/import", "admin-import"), ("/admin/tokens", "admin-tokens")):
                go(f"{path}?lang={lang}")
                expect(f"{path} is in {lang}", driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang)
                shoot(f"{name}-{lang}")
        go("/admin/definitions?lang=fi")

        # No request leaves the server's origin.
        foreign = []
        for entry in driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                url = message["params"]["request"]["url"]
                if not (url.startswith(base) or url.startswith("data:") or url.startswith("about:")):
                    foreign.append(url)
        expect("no page asks for anything from another origin", not foreign, foreign[:10])
    except Exception as error:  # a step that could not run is a failure, reported with the rest
        import traceback
        step = next((line for line in reversed(traceback.format_exc().splitlines()) if "check-pages.py" in line), "")
        expect(f"the browser run went through ({type(error).__name__})", False, step + "\n" + str(error)[:1200])
    return finish(driver, server, failures, shots)


def finish(driver, server, failures, shots):
    driver.quit()
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
    print(f"check-pages: {len(shots)} screenshots in {os.path.dirname(shots[0]) if shots else '-'}")
    if failures:
        print(f"check-pages: {len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("check-pages: the pages work in a real browser")
    return 0


def fetch(url, cookie=None):
    request = urllib.request.Request(url)
    if cookie:
        request.add_header("Cookie", f"{cookie['name']}={cookie['value']}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def post(url, fields, cookie):
    """A form posted as the browser posts it; the status, headers and body, whatever the status."""
    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    request.add_header("Cookie", f"{cookie['name']}={cookie['value']}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def b64url(text):
    import base64
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def save(work, name, data):
    path = os.path.join(work, name)
    with open(path, "wb") as file:
        file.write(data)
    return path


if __name__ == "__main__":
    sys.exit(main())
