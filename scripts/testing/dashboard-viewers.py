#!/usr/bin/env python3
"""People watching Ground Control's fleet page, as browsers do, while the service is measured.

    dashboard-viewers.py BASE_URL USER PASSWORD_FILE VIEWERS SECONDS
    dashboard-viewers.py BASE_URL USER PASSWORD_FILE --get PATH

Each viewer logs in through the login form (its CSRF cookie, then the session cookie), opens
the fleet page and fetches its live fragment (`/?fragment=fleet`) every two seconds, as the
page's script does, with the ETag it last got. Meanwhile one prober asks `/healthz` five times a
second. Stops by itself after SECONDS and prints one JSON line: per viewer, the fragments fetched,
answered 304, and the largest body; the page's size; and the probe's latencies (p50, max, in
milliseconds). With --get, logs in, prints the body of PATH and exits.
"""
import json
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

base, user, password_file = sys.argv[1], sys.argv[2], sys.argv[3]
password = open(password_file).read().strip()
fetch = sys.argv[5] if sys.argv[4] == "--get" else None
viewers, seconds = (0, 0.0) if fetch else (int(sys.argv[4]), float(sys.argv[5]))
deadline = time.monotonic() + seconds


class Session:
    """Cookies kept by hand: the dashboard's are `__Host-` and Secure, which Python's cookie jar
    never sends over plain HTTP (browsers treat 127.0.0.1 as a secure context and do)."""

    def __init__(self):
        self.cookies = {}

    def open(self, path, data=None, headers=None):
        request = urllib.request.Request(base + path, data=data, headers=dict(headers or {}))
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        opener = urllib.request.build_opener(NoRedirect)
        try:
            reply = opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:
            reply = error
        for header in reply.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return reply


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def session():
    browser = Session()
    page = browser.open("/login").read().decode()
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"name": user, "password": password, "csrf": token, "next": "/"}).encode()
    answer = browser.open("/login", data=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
    if answer.status != 303:
        sys.exit(f"login answered {answer.status}")
    return browser


results = []
lock = threading.Lock()


def viewer(index):
    browser = session()
    page = browser.open("/").read()
    fetched = not_modified = largest = 0
    etag = None
    while time.monotonic() < deadline:
        headers = {"Accept": "text/html"}
        if etag:
            headers["If-None-Match"] = etag
        reply = browser.open("/?fragment=fleet", headers=headers)
        if reply.status == 304:
            not_modified += 1
        elif reply.status == 200:
            body = reply.read()
            etag = reply.headers.get("ETag") or etag
            largest = max(largest, len(body))
        else:
            sys.exit(f"the fragment answered {reply.status}")
        fetched += 1
        time.sleep(2)
    with lock:
        results.append({"viewer": index, "fetched": fetched, "notModified": not_modified, "largestBytes": largest, "pageBytes": len(page)})


latencies = []


def prober():
    while time.monotonic() < deadline:
        started = time.monotonic()
        urllib.request.urlopen(base + "/healthz", timeout=60).read()
        latencies.append((time.monotonic() - started) * 1000)
        time.sleep(0.2)


if fetch:
    sys.stdout.write(session().open(fetch).read().decode())
    sys.exit(0)

threads = [threading.Thread(target=viewer, args=(i,)) for i in range(viewers)] + [threading.Thread(target=prober)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
latencies.sort()
print(json.dumps({
    "viewers": sorted(results, key=lambda r: r["viewer"]),
    "healthz": {"count": len(latencies), "p50": latencies[len(latencies) // 2], "max": latencies[-1]},
}))
