#!/usr/bin/env python3
"""Opens CONNECTIONS GETs of URL_PATH at once on 127.0.0.1:PORT, each reading 64 KiB then pausing
PAUSE_MS, until every body is read in full; prints the seconds taken and the bytes read.
A reader that pauses makes the server hold what it cannot send: this is what a crowd of slow
devices costs a registry's memory.

    slow-readers.py PORT URL_PATH CONNECTIONS PAUSE_MS
"""
import selectors
import socket
import sys
import time

port, path, connections, pause = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4]) / 1000
selector = selectors.DefaultSelector()
state = {}
for _ in range(connections):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    sock.setblocking(False)
    state[sock] = {"next": 0.0, "read": 0}
    selector.register(sock, selectors.EVENT_READ)

started = time.monotonic()
total = 0
while state:
    now = time.monotonic()
    for key, _ in selector.select(timeout=0.005):
        sock = key.fileobj
        entry = state[sock]
        if now < entry["next"]:
            continue
        try:
            data = sock.recv(64 * 1024)
        except BlockingIOError:
            continue
        if not data:
            selector.unregister(sock)
            sock.close()
            total += entry["read"]
            del state[sock]
            continue
        entry["read"] += len(data)
        entry["next"] = now + pause
    # Paused readers stay registered; select returns at once for them, so sleep a little.
    time.sleep(0.001)
print(f"{time.monotonic() - started:.1f} s {total} bytes", flush=True)
