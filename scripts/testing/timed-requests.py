#!/usr/bin/env python3
"""Sends HTTP requests one after another and times each, as a client outside the test would.

    timed-requests.py TOKEN_FILE REQUESTS_FILE

REQUESTS_FILE holds one JSON object per line: {"method": ..., "url": ..., "body": ...} (body is
sent as application/json). Each request carries "Authorization: Bearer <TOKEN_FILE's content>".
Prints one JSON line per request, {"status": ..., "seconds": ...}, then "done".

Why a process of its own: a test process runs every suite at once on a few threads, and under
that load its own clock measures its waiting for a thread as much as the server's answer.
"""
import json
import sys
import time
import urllib.error
import urllib.request

token = open(sys.argv[1]).read().strip()
for line in open(sys.argv[2]):
    if not line.strip():
        continue
    request = json.loads(line)
    body = request.get("body")
    sent = urllib.request.Request(
        request["url"], method=request["method"], data=None if body is None else body.encode(),
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(sent, timeout=120) as answer:
            answer.read()
            status = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
    print(json.dumps({"status": status, "seconds": time.monotonic() - started}), flush=True)
print("done", flush=True)
