#!/usr/bin/env python3
"""Drives Ground Control's dashboard in real Chromium (headless) through chromium-driver.

Usage: dashboard-browser.py SETUP.json

SETUP.json (owner-only; it holds passwords and a satellite credential) names:
  url            Ground Control's base URL
  users          {"viewer": [name, password], "operator": [...], "admin": [...]}
  satellite      a registered satellite that has not sent a heartbeat yet
  credential     that satellite's credential, for the heartbeat this script sends
  screenshots    a directory for the PNGs
  chromium, chromedriver   the programs' paths

Checks, each printed as it passes: every role sees only what it may do; a heartbeat shows on
the overview without a reload; an operator revokes from the satellite's page; the pages fit a
phone-sized window; the browser's console stays free of errors. Exits 1 naming the first
check that failed.
"""

import datetime
import json
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

setup = json.load(open(sys.argv[1]))
base = setup["url"]


class Failed(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failed(what)
    print(f"ok: {what}", flush=True)


def wait_for(what, probe, seconds=10.0):
    """Polls `probe` until it returns something true, or fails naming `what`."""
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failed(f"{what} (not within {seconds} s)")
        time.sleep(0.1)


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = setup["chromium"]
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900",
                     "--no-first-run", "--disable-extensions", "--disable-background-networking"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The driver named outright: Selenium would otherwise try to download one.
    return webdriver.Chrome(service=Service(executable_path=setup["chromedriver"]), options=options)


def console_errors(driver):
    return [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]


def log_in(driver, role):
    name, password = setup["users"][role]
    # Off any live page first: a refresh made after the cookies go would be refused, and the
    # browser would log the 401 as an error.
    driver.get(base + "/static/icon.svg")
    driver.delete_all_cookies()
    driver.get(base + "/login")
    driver.find_element(By.NAME, "name").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(f"{role} logged in", lambda: driver.find_elements(By.ID, "who"))
    check(f"{name} · {role}" in (text(driver, "#who") or ""), f"{role} logs in and the header names them")


def text(driver, selector):
    """The element's text read in one step: a live section may swap the element between a
    lookup and a read."""
    return driver.execute_script("const e = document.querySelector(arguments[0]); return e ? e.textContent.trim() : null", selector)


def present(driver, selector):
    return len(driver.find_elements(By.CSS_SELECTOR, selector)) > 0


def heartbeat():
    # A month of upstream traffic and two things devices asked for, for the meter chart and the
    # demand list (their pictures go into docs/).
    today = datetime.datetime.now(datetime.timezone.utc).date()
    days = [{"day": (today - datetime.timedelta(days=back)).isoformat(), "bytes": (back * 7919 % 23 + 2) << 24}
            for back in range(29, -1, -1) if back % 6 != 3]
    asked = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = json.dumps({
        "generation": 0, "inventory": [], "version": "browser-test",
        "meter": {"budgets": [{"budget": "20GiB/month", "period": today.strftime("%Y-%m"), "usedBytes": 9 << 30,
                               "limitBytes": 20 << 30, "exhausted": False}], "days": days},
        "demand": {"entries": [
            {"upstream": "central", "repository": "apps/api", "tag": "2.1", "misses": 41, "denied": 0, "notFound": 0,
             "lastAskedAt": asked},
            {"upstream": "central", "repository": "tools/debug", "tag": "latest", "misses": 0, "denied": 6,
             "notFound": 0, "lastAskedAt": asked}]},
    }).encode()
    request = urllib.request.Request(base + "/api/v1/status", data=body, method="POST", headers={
        "Authorization": "Bearer " + setup["credential"], "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        check(reply.status == 200, "the simulated satellite's heartbeat is taken")


def fits(driver):
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")


def main():
    satellite = setup["satellite"]
    shots = setup["screenshots"]
    driver = browser()
    try:
        # A viewer reads everything and is offered nothing.
        log_in(driver, "viewer")
        driver.get(base + f"/satellites/{satellite}")
        check(not present(driver, "#revoke") and not present(driver, "#rotate"), "a viewer is offered no satellite action")
        check(driver.find_element(By.NAME, "syncIntervalSeconds").get_attribute("disabled") is not None,
              "a viewer's settings form is read-only")
        driver.get(base + "/groups")
        check(not present(driver, "form[data-api]"), "a viewer cannot create or edit a group")
        driver.get(base + "/registries")
        check(not present(driver, "form[data-api]"), "a viewer cannot change a registry")

        # An operator changes groups and satellites, not registries.
        log_in(driver, "operator")
        driver.get(base + "/registries")
        check(not present(driver, "form[data-api]"), "an operator cannot change a registry")
        driver.get(base + "/groups")
        check(present(driver, "form[data-api]"), "an operator may create a group")

        # The overview follows a heartbeat without a reload.
        driver.get(base + "/")
        row = f"#satellite-{satellite} td.seen"
        check(text(driver, row) == "never", "before its heartbeat the satellite was never seen")
        driver.execute_script("window.stillThisPage = true")
        sent = time.monotonic()
        heartbeat()
        # By design at most 2.5 s (Ground Control writes heartbeats every 0.5 s, the page asks
        # every 2 s) plus the requests; the bound leaves room for a CI run loading both cores.
        wait_for("the overview shows the heartbeat", lambda: (text(driver, row) or "").endswith("ago"), 10.0)
        check(driver.execute_script("return window.stillThisPage === true"),
              f"the overview showed the heartbeat {time.monotonic() - sent:.1f} s after it, without a reload")
        driver.save_screenshot(f"{shots}/overview.png")

        # Filters and sorting are links and a form: the list narrows to what is asked.
        driver.get(base + f"/?q={satellite}")
        check(len(driver.find_elements(By.CSS_SELECTOR, "table.list tbody tr")) == 1, "the name filter narrows the list")

        # A rollout with a bar per wave, paused from its page; the fleet by generation above it.
        driver.get(base + "/rollouts")
        check(present(driver, "#generations svg.chart rect"), "the rollouts page draws the fleet by generation")
        check(present(driver, "section.rollout svg.chart rect.waiting"), "the rollout's first wave is reached, not applied")
        driver.save_screenshot(f"{shots}/rollouts.png")
        pause = [b for b in driver.find_elements(By.CSS_SELECTOR, "section.rollout button") if b.text == "Pause"]
        check(len(pause) == 1, "an operator is offered to pause the running rollout")
        pause[0].click()
        wait_for("the rollout shown paused", lambda: "paused" in (text(driver, "section.rollout .badge") or ""))

        # The demand list: an entry added to a group leaves it.
        driver.get(base + "/demand")
        check("apps/api:2.1" in (text(driver, "#demand") or ""), "the demand list shows what devices asked for")
        driver.save_screenshot(f"{shots}/demand.png")
        row = driver.find_element(By.ID, "demand-0")
        row.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait_for("the entry added", lambda: "Added" in (row.find_element(By.CSS_SELECTOR, ".status").text or ""))
        driver.get(base + "/demand")
        check("apps/api:2.1" not in (text(driver, "#demand") or ""), "once in a group it leaves the list")

        driver.get(base + f"/satellites/{satellite}")
        check(present(driver, "#status svg.chart rect.upstream"), "the satellite's page charts its upstream bytes")
        driver.save_screenshot(f"{shots}/satellite.png")
        check(present(driver, "#revoke"), "an operator is offered revoke")
        driver.find_element(By.ID, "revoke").click()
        alert = wait_for("revoke asks for confirmation", lambda: _alert(driver))
        alert.accept()
        wait_for("the page shows the satellite revoked", lambda: text(driver, "#state") == "revoked")
        check(not present(driver, "#revoke"), "once revoked, the satellite is no longer offered revoke")

        # An admin may change registries.
        log_in(driver, "admin")
        driver.get(base + "/registries")
        check(present(driver, "form[data-api]"), "an admin may change a registry")
        driver.get(base + "/events")
        form = driver.find_element(By.CSS_SELECTOR, "form[data-api]")
        for field, value in [("name", "ops"), ("url", "http://127.0.0.1:9/events"), ("types", "satellite.stale, group.changed"),
                             ("secret", "a secret of sixteen or more")]:
            form.find_element(By.NAME, field).send_keys(value)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait_for("the new subscription listed", lambda: present(driver, "#subscription-ops"))
        check("satellite.stale, group.changed" in text(driver, "#subscription-ops"), "an admin subscribes another system to events from the page")

        errors = console_errors(driver)
        check(not errors, f"no console errors on Ground Control's pages ({errors})")

        if "oidc" in setup:
            oidc_logins(driver)
            # The provider's own pages (its missing favicon) and the refused login's 403 are not
            # Ground Control's console errors: drained here, unchecked.
            console_errors(driver)

        # A phone-sized window: nothing wider than the screen (logged in again: the OIDC checks
        # end logged out, and the login page is not what is to be seen here).
        log_in(driver, "operator")
        driver.set_window_size(390, 844)
        for path, shot in [("/", "overview-phone.png"), (f"/satellites/{satellite}", "satellite-phone.png"), ("/audit", None),
                           ("/rollouts", None), ("/demand", None)]:
            driver.get(base + path)
            check(fits(driver), f"{path} fits a phone-sized window")
            if shot:
                driver.save_screenshot(f"{shots}/{shot}")

        errors = console_errors(driver)
        check(not errors, f"no console errors ({errors})")
    finally:
        driver.quit()


def oidc_logins(driver):
    """Through the OIDC provider (oidc-provider-mock): a person whose group claim maps to a role
    gets it; one whose claim maps to none is refused."""
    member, stranger = setup["oidc"]["member"], setup["oidc"]["stranger"]
    for sub in (member, stranger):
        driver.get(base + "/static/icon.svg")
        driver.delete_all_cookies()
        driver.get(base + "/login")
        driver.find_element(By.ID, "oidc-login").click()
        wait_for("the provider's authorization form", lambda: driver.find_elements(By.NAME, "sub"))
        if sub == member:
            driver.find_element(By.CSS_SELECTOR, f'button[name="sub"][value="{sub}"]').click()
        else:
            driver.find_element(By.CSS_SELECTOR, 'input[name="sub"]').send_keys(sub)
            driver.find_element(By.CSS_SELECTOR, 'input[name="sub"]').submit()
        if sub == member:
            wait_for("back at Ground Control, logged in", lambda: text(driver, "#who"))
            check(f"{member} · operator" in text(driver, "#who"), "an OIDC login maps the provider's group claim to the operator role")
            driver.get(base + "/registries")
            check(not present(driver, "form[data-api]"), "the OIDC operator cannot change a registry")
        else:
            wait_for("the refusal", lambda: text(driver, "#login-error"))
            check("no role" in text(driver, "#login-error"), "an OIDC login whose claim maps to no role is refused")


def _alert(driver):
    try:
        return driver.switch_to.alert
    except Exception:
        return None


if __name__ == "__main__":
    try:
        main()
    except Failed as failure:
        print(f"FAILED: {failure}", flush=True)
        sys.exit(1)
