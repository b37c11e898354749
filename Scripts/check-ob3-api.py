#!/usr/bin/env python3
"""The Open Badges 3.0 API (Service Provider, read), driven end to end by Authlib as the consumer.

Against `merkisto serve --demo`:
  * discovery: the Service Description Document names the authorization, token, refresh and registration
    URLs and the scopes;
  * OAuth 2.0 dynamic client registration (RFC 7591, no initial access token);
  * the authorization code grant with PKCE S256 (Authlib's OAuth2Session makes the verifier and challenge),
    the demo client signing in and allowing it on the consent page in headless Chromium;
  * the token (client_secret_basic), getCredentials with paging (X-Total-Count, Link), getProfile, a
    refresh; every credential returned passes the peers (ob3_verify.py, ob3_ldp_verify.py);
  * refused: a wrong code verifier (invalid_grant), a code used twice, a token without the scope (403), a
    revoked token (401), a refused consent (access_denied), a consent withdrawn on the client's page (401).

Usage: python3 Scripts/check-ob3-api.py PATH/TO/merkisto PATH/TO/shared/tools/peers [--port 8792] [--out SHOTS]
"""
import argparse
import base64
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.common.security import generate_token
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_server  # noqa: E402

CREDENTIALS = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly"
PROFILE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.readonly"
REDIRECT = "http://127.0.0.1:9/callback"  # never loaded: the browser's address is read when it gets there


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("merkisto")
    parser.add_argument("peers")
    parser.add_argument("--port", type=int, default=8792)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    failures = []
    expect = demo_server.expecter(failures)
    with tempfile.TemporaryDirectory(prefix="merkisto-ob3api-") as work:
        out = args.out or os.path.join(work, "shots")
        os.makedirs(out, exist_ok=True)
        server = demo_server.start(os.path.abspath(args.merkisto), args.port, os.path.join(work, "merkisto.sqlite"), work)
        if server is None:
            print("check-ob3-api: the server did not start", file=sys.stderr)
            return 1
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900", "--lang=fi-FI"):
            options.add_argument(argument)
        options.add_experimental_option("prefs", {"intl.accept_languages": "fi-FI,fi"})
        driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
        try:
            printed = demo_server.printed(server)
            account = demo_server.account(printed, "client")
            expect("the demo printed the client's password", account is not None, printed)

            # Discovery.
            sdd = requests.get(base + "/ims/ob/v3p0/discovery", headers={"Accept": "application/json"}).json()
            scheme = sdd["components"]["securitySchemes"]["OAuth2ACG"]
            flow = scheme["flows"]["authorizationCode"]
            expect("the SDD names the registration, authorization, token and refresh URLs and both scopes",
                   scheme.get("x-imssf-registrationUrl") and flow.get("authorizationUrl") and flow.get("tokenUrl") and flow.get("refreshUrl")
                   and {CREDENTIALS, PROFILE} <= set(flow.get("scopes", {})), scheme)

            # Dynamic client registration.
            registration = {
                "client_name": "Oppilaitoksen hakupalvelu", "client_uri": "https://school.example/", "logo_uri": "https://school.example/logo.png",
                "tos_uri": "https://school.example/terms", "policy_uri": "https://school.example/privacy", "software_id": "c88b6ed8-269e-448e-99be-7e2ff47167d1",
                "software_version": "1.0", "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_basic",
                "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
                "scope": f"{CREDENTIALS} {PROFILE} https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert offline_access",
            }
            answer = requests.post(scheme["x-imssf-registrationUrl"], json=registration)
            registered = answer.json()
            expect("registration: 201 with client_id, client_secret and the scopes served (upsert left out)",
                   answer.status_code == 201 and registered.get("client_id") and registered.get("client_secret")
                   and "credential.upsert" not in registered.get("scope", "") and CREDENTIALS in registered.get("scope", ""), registered)
            bad = requests.post(scheme["x-imssf-registrationUrl"], json=dict(registration, redirect_uris=["http://evil.example/cb"]))
            expect("registration refuses a plain-http redirect URI off the loopback (invalid_redirect_uri)",
                   bad.status_code == 400 and bad.json().get("error") == "invalid_redirect_uri", bad.text)

            def session(scope):
                return OAuth2Session(registered["client_id"], registered["client_secret"], scope=scope, redirect_uri=REDIRECT,
                                     code_challenge_method="S256", token_endpoint_auth_method="client_secret_basic")

            signed_in = [False]
            spec = importlib.util.find_spec("axe_playwright_python")
            with open(os.path.join(spec.submodule_search_locations[0], "axe.min.js"), encoding="utf-8") as file:
                axe = file.read()

            def accessible(name):
                """axe-core (WCAG 2.1 AA) on the page in the browser now: no serious or critical violation."""
                driver.execute_script(axe)
                violations = driver.execute_async_script(
                    "const done = arguments[arguments.length - 1];"
                    "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
                    ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help}))))"
                    ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e)}]));")
                bad = [v for v in violations if v["impact"] in ("serious", "critical")]
                expect(f"axe: {name} has no serious or critical violation", not bad, json.dumps(bad, ensure_ascii=False))

            def consent(url, decision="allow", shot=None):
                """The person's part in the browser: sign in (the first time), then allow or refuse."""
                driver.get(url)
                if "/signin" in driver.current_url:
                    driver.find_element(By.ID, "user").send_keys(account[0])
                    driver.find_element(By.ID, "password").send_keys(account[1])
                    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
                    WebDriverWait(driver, 20).until(lambda d: urllib.parse.urlparse(d.current_url).path == "/oauth/authorize")
                    signed_in[0] = True
                try:
                    WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "button[name=decision]"))
                except Exception:
                    raise AssertionError(f"no consent page at {driver.current_url}: {driver.find_element(By.TAG_NAME, 'body').text[:500]}")
                if shot:
                    driver.save_screenshot(os.path.join(out, shot + ".png"))
                    accessible(shot)
                page = driver.find_element(By.TAG_NAME, "main").text
                driver.find_element(By.CSS_SELECTOR, f"button[name=decision][value={decision}]").click()
                try:
                    WebDriverWait(driver, 20).until(lambda d: d.current_url.startswith(REDIRECT))
                except Exception:
                    raise AssertionError(f"not back at the service: {driver.current_url}: {driver.find_element(By.TAG_NAME, 'body').text[:500]}")
                return driver.current_url, page

            # The authorization code grant with PKCE.
            client = session(f"{CREDENTIALS} {PROFILE} offline_access")
            verifier = generate_token(64)
            state = generate_token(24)
            url, _ = client.create_authorization_url(flow["authorizationUrl"], state=state, code_verifier=verifier)
            callback, page = consent(url, shot="consent")
            expect("the consent page names the service and what it asks, in plain Finnish", "Oppilaitoksen hakupalvelu" in page and "merkkisi" in page, page[:500])
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(callback).query))
            expect("allowed: back to the service with a code and the same state", query.get("code") and query.get("state") == state, callback)
            # A wrong verifier first: invalid_grant, the code still unused.
            wrong = requests.post(flow["tokenUrl"], auth=(registered["client_id"], registered["client_secret"]),
                                  data={"grant_type": "authorization_code", "code": query.get("code"), "redirect_uri": REDIRECT, "code_verifier": generate_token(64)})
            expect("a wrong code verifier is refused with invalid_grant", wrong.status_code == 400 and wrong.json().get("error") == "invalid_grant", wrong.text)
            token = client.fetch_token(flow["tokenUrl"], authorization_response=callback, code_verifier=verifier)
            expect("the token answer: a Bearer access token, a refresh token, the scopes, an hour",
                   token.get("token_type", "").lower() == "bearer" and token.get("refresh_token") and token.get("expires_in") == 3600, token)
            again = requests.post(flow["tokenUrl"], auth=(registered["client_id"], registered["client_secret"]),
                                  data={"grant_type": "authorization_code", "code": query.get("code"), "redirect_uri": REDIRECT, "code_verifier": verifier})
            expect("a code used twice is refused (invalid_grant)", again.status_code == 400 and again.json().get("error") == "invalid_grant", again.text)
            # ... and what it gave is revoked.
            after = client.get(base + "/ims/ob/v3p0/credentials")
            expect("a code used twice revokes the tokens it gave (401)", after.status_code == 401, after.status_code)

            # A second consent, used for reading.
            client = session(f"{CREDENTIALS} {PROFILE} offline_access")
            verifier = generate_token(64)
            url, _ = client.create_authorization_url(flow["authorizationUrl"], state=generate_token(24), code_verifier=verifier)
            callback, _ = consent(url)
            token = client.fetch_token(flow["tokenUrl"], authorization_response=callback, code_verifier=verifier)
            everything = client.get(base + "/ims/ob/v3p0/credentials?limit=100")
            total = int(everything.headers.get("X-Total-Count", "-1"))
            body = everything.json()
            listed = len(body.get("compactJwsStrings", [])) + len(body.get("credential", []))
            expect("getCredentials: every valid credential of the client, X-Total-Count", everything.status_code == 200 and total >= 2 and listed == total,
                   (everything.status_code, everything.headers, str(body)[:300]))
            page = client.get(base + "/ims/ob/v3p0/credentials?limit=1&offset=0")
            links = page.headers.get("Link", "")
            expect("paging: limit=1 gives one credential and Link next, last and first", page.status_code == 200
                   and len(page.json().get("compactJwsStrings", [])) + len(page.json().get("credential", [])) == 1
                   and 'rel="next"' in links and 'rel="last"' in links and 'rel="first"' in links and 'rel="prev"' not in links, links)
            following = re.search(r'<([^>]+)>; rel="next"', links)
            second = client.get(following.group(1)) if following else None
            expect("following Link next gives the next credential and a prev link", second is not None and second.status_code == 200
                   and 'rel="prev"' in second.headers.get("Link", ""), second.headers if second is not None else links)
            bad = client.get(base + "/ims/ob/v3p0/credentials?limit=0")
            expect("a bad query parameter: 400 with an Imsx_StatusInfo", bad.status_code == 400 and bad.json().get("imsx_codeMajor") == "failure", bad.text)
            profile = client.get(base + "/ims/ob/v3p0/profile")
            expect("getProfile: a Profile with a pseudonymous id", profile.status_code == 200 and profile.json().get("id", "").startswith("urn:uuid:")
                   and "Profile" in profile.json().get("type", []), profile.text)

            # Every credential returned passes the peers.
            did_doc = os.path.join(work, "did.json")
            with open(did_doc, "wb") as f:
                f.write(requests.get(base + "/issuers/esimerkkialue/did.json").content)
            for number, jws in enumerate(body.get("compactJwsStrings", [])):
                kid = json.loads(base64.urlsafe_b64decode(jws.split(".")[0] + "==")).get("kid", "").rsplit("/", 1)[-1]
                key = os.path.join(work, f"key-{number}.json")
                with open(key, "wb") as f:
                    f.write(requests.get(base + "/keys/" + kid).content)
                result = subprocess.run([sys.executable, os.path.join(args.peers, "ob3_verify.py"), jws, "--key", key], capture_output=True, text=True)
                expect(f"ob3_verify.py accepts VC-JWT {number} from getCredentials", result.returncode == 0, result.stdout + result.stderr)
            for number, document in enumerate(body.get("credential", [])):
                path = os.path.join(work, f"ldp-{number}.json")
                with open(path, "w") as f:
                    json.dump(document, f)
                result = subprocess.run([sys.executable, os.path.join(args.peers, "ob3_ldp_verify.py"), path, "--did-doc", did_doc], capture_output=True, text=True)
                expect(f"ob3_ldp_verify.py accepts Data Integrity credential {number} from getCredentials", result.returncode == 0, result.stdout + result.stderr)

            # Refresh: a new access token that works.
            refreshed = client.refresh_token(flow["refreshUrl"], refresh_token=token["refresh_token"])
            expect("a refresh gives a new access token", refreshed.get("access_token") and refreshed["access_token"] != token["access_token"], refreshed)
            expect("the refreshed token reads", client.get(base + "/ims/ob/v3p0/profile").status_code == 200)
            # Revocation (RFC 7009): the access token stops working.
            client.revoke_token(base + "/oauth/revoke", token=refreshed["access_token"], token_type_hint="access_token")
            revoked = client.get(base + "/ims/ob/v3p0/credentials")
            expect("a revoked token gets 401 with an Imsx_StatusInfo", revoked.status_code == 401 and revoked.json().get("imsx_codeMajor") == "failure", revoked.text)

            # A token without the credentials scope: 403.
            narrow = session(PROFILE)
            verifier = generate_token(64)
            url, _ = narrow.create_authorization_url(flow["authorizationUrl"], state=generate_token(24), code_verifier=verifier)
            callback, _ = consent(url)
            narrow.fetch_token(flow["tokenUrl"], authorization_response=callback, code_verifier=verifier)
            forbidden = narrow.get(base + "/ims/ob/v3p0/credentials")
            expect("a token without credential.readonly gets 403", forbidden.status_code == 403 and forbidden.json().get("imsx_codeMajor") == "failure", forbidden.text)
            expect("... and reads the profile", narrow.get(base + "/ims/ob/v3p0/profile").status_code == 200)

            # Refused on the consent page: access_denied, nothing kept.
            refusing = session(CREDENTIALS)
            url, _ = refusing.create_authorization_url(flow["authorizationUrl"], state="s-refused", code_verifier=generate_token(64))
            callback, _ = consent(url, decision="refuse")
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(callback).query))
            expect("refused: back to the service with access_denied and the state", query.get("error") == "access_denied" and query.get("state") == "s-refused"
                   and "code" not in query, callback)
            # No PKCE: the service is told so (invalid_request), nothing is asked of the person.
            plain = session(CREDENTIALS)
            url, _ = plain.create_authorization_url(flow["authorizationUrl"], state="s-plain")
            driver.get(url)
            WebDriverWait(driver, 20).until(lambda d: d.current_url.startswith(REDIRECT))
            expect("an authorization request without PKCE goes back with invalid_request", "error=invalid_request" in driver.current_url, driver.current_url)

            # The client sees their consents and withdraws one: its tokens stop working.
            driver.get(base + "/my#consents")
            driver.save_screenshot(os.path.join(out, "my-consents.png"))
            accessible("my-consents")
            buttons = driver.find_elements(By.CSS_SELECTOR, "form[action*='/my/consents/'] button")
            expect("the client's page lists the consents in force", len(buttons) >= 2, driver.find_element(By.TAG_NAME, "main").text[:600])
            from selenium.webdriver.support import expected_conditions
            for _ in range(len(buttons)):
                page = driver.find_element(By.TAG_NAME, "html")
                driver.find_element(By.CSS_SELECTOR, "form[action*='/my/consents/'] button").click()
                WebDriverWait(driver, 20).until(expected_conditions.staleness_of(page))
            expect("every consent withdrawn: the page lists none", not driver.find_elements(By.CSS_SELECTOR, "form[action*='/my/consents/'] button")
                   and "Lupa on peruttu" in driver.find_element(By.TAG_NAME, "main").text, driver.find_element(By.TAG_NAME, "main").text[:400])
            driver.save_screenshot(os.path.join(out, "my-consents-withdrawn.png"))
            expect("withdrawn on the page, the profile token gets 401", narrow.get(base + "/ims/ob/v3p0/profile").status_code == 401)
        except Exception as error:  # noqa: BLE001 - a broken step is a failure, with where it broke
            import traceback
            expect(f"the API run went through ({type(error).__name__})", False, traceback.format_exc()[-1500:])
        finally:
            driver.quit()
            demo_server.stop(server)
    print(f"check-ob3-api: {'all checks passed' if not failures else str(len(failures)) + ' check(s) failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
