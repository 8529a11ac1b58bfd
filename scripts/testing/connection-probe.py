#!/usr/bin/env python3
"""Probes a server's connection handling with raw sockets, as a hostile or careless client
would, and checks what the server process holds afterwards (/proc/PID/fd). Exits 1 with a
message naming the failed check, 0 when every check holds.

    connection-probe.py early-answers PORT PID     requests answered before their body is read
    connection-probe.py slow-head PORT SECONDS     a head sent a byte at a time must be cut off
    connection-probe.py idle PORT SECONDS          a connection idle after a response, or in the
                                                   middle of a request body, must be closed
    connection-probe.py ceiling PORT MAXIMUM [PATH] connections beyond MAXIMUM get 503 at once
                                                   (PATH answers 200 on this server; default /v2/)
"""
import os
import socket
import sys
import time


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def open_files(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def status_of(sock, timeout=10):
    sock.settimeout(timeout)
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    line = data.split(b"\r\n", 1)[0].decode(errors="replace")
    parts = line.split(" ")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def closed_by_server(sock, within):
    """True when the server closes its side (EOF or reset) within `within` seconds."""
    sock.settimeout(0.2)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if sock.recv(65536) == b"":
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False


def early_answers(port, pid):
    """PUTs answered before their bodies are read: 413 for a manifest over the limit, 400 for a
    bad name. The client keeps its sockets open and sends nothing more; the server must not keep
    them (before the fix: FIN-WAIT-2 and open files for as long as the client waited)."""
    time.sleep(0.5)
    baseline = open_files(pid)
    body = b"x" * (5 * 1024 * 1024)
    sockets = []
    for index in range(60):
        sock = socket.create_connection(("127.0.0.1", port))
        path = "/v2/probe/app/manifests/v1" if index % 2 == 0 else "/v2/Bad..Name/manifests/v1"
        head = (f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        sock.sendall(head)
        # Only part of the body: the answer comes before the rest would.
        try:
            sock.sendall(body[: 1024 * 1024 if index % 2 == 0 else 1024])
        except OSError:
            pass
        status = status_of(sock)
        if status not in (400, 413):
            fail(f"PUT {path} with an unread body answered {status}, not 400 or 413")
        sockets.append(sock)
    held = open_files(pid)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and open_files(pid) > baseline + 5:
        time.sleep(0.2)
    after = open_files(pid)
    print(f"open files: {baseline} before, {held} with 60 early answers pending, {after} after", flush=True)
    if after > baseline + 5:
        fail(f"the server still holds {after - baseline} more files 10 s after answering 60 requests early")
    closed = sum(1 for sock in sockets if closed_by_server(sock, 1))
    print(f"connections the server closed: {closed} of {len(sockets)}", flush=True)
    if closed < len(sockets):
        fail(f"{len(sockets) - closed} connections answered early were left open")
    for sock in sockets:
        sock.close()


def slow_head(port, limit):
    """A client that sends its request head a byte every half second must be cut off once the
    header timeout passes, whatever it still sends."""
    sock = socket.create_connection(("127.0.0.1", port))
    head = b"GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200
    started = time.monotonic()
    sock.settimeout(0.5)
    for byte in head:
        try:
            sock.send(bytes([byte]))
        except OSError:
            break
        try:
            if sock.recv(4096) == b"":
                break
        except socket.timeout:
            pass
        except OSError:
            break
        if time.monotonic() - started > limit + 10:
            fail(f"a head sent slowly was still being read after {limit + 10:.0f} s")
    elapsed = time.monotonic() - started
    print(f"slow head cut off after {elapsed:.1f} s (header timeout {limit} s)", flush=True)
    if elapsed < limit - 0.5:
        fail(f"cut off after {elapsed:.1f} s, before the {limit} s header timeout")


def idle(port, limit):
    """After a response the connection is kept alive, and a request body that stops coming is
    stalled: each must be closed once the idle timeout passes (and not much before)."""
    kept = socket.create_connection(("127.0.0.1", port))
    kept.sendall(b"GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    if status_of(kept) not in (200, 401, 404):
        fail("GET /v2/ got no answer")
    stalled = socket.create_connection(("127.0.0.1", port))
    stalled.sendall(b"POST /v2/probe/app/blobs/uploads/?digest=sha256:" + b"0" * 64 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nabc")
    started = time.monotonic()
    for name, sock in (("kept-alive", kept), ("stalled body", stalled)):
        if not closed_by_server(sock, limit + 10 - (time.monotonic() - started)):
            fail(f"a {name} connection was still open {limit + 10:.0f} s later (idle timeout {limit} s)")
        elapsed = time.monotonic() - started
        print(f"{name} connection closed after {elapsed:.1f} s (idle timeout {limit} s)", flush=True)
        if elapsed < limit - 0.5:
            fail(f"a {name} connection was closed after {elapsed:.1f} s, before the {limit} s idle timeout")


def ceiling(port, maximum, path):
    """MAXIMUM idle connections are held; the next gets 503 at once; requests on the held ones
    are still served; once one closes, a new connection is served again."""
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(maximum)]
    time.sleep(0.5)
    extra = socket.create_connection(("127.0.0.1", port))
    started = time.monotonic()
    status = status_of(extra, timeout=5)
    print(f"connection {maximum + 1} of {maximum}: {status} after {time.monotonic() - started:.2f} s", flush=True)
    if status != 503:
        fail(f"a connection beyond the ceiling of {maximum} got {status}, not 503")
    extra.close()
    held[0].sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    status = status_of(held[0])
    if status != 200:
        fail(f"a connection within the ceiling got {status} for GET {path}, not 200")
    for sock in held[1:]:
        sock.close()
    deadline = time.monotonic() + 5
    while True:
        fresh = socket.create_connection(("127.0.0.1", port))
        fresh.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        status = status_of(fresh)
        fresh.close()
        if status == 200:
            break
        if time.monotonic() > deadline:
            fail(f"after closing connections, a new one still gets {status}")
        time.sleep(0.1)
    print("connections are served again once others close", flush=True)
    held[0].close()


if __name__ == "__main__":
    command, port, argument = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if command == "early-answers":
        early_answers(port, int(argument))
    elif command == "slow-head":
        slow_head(port, float(argument))
    elif command == "idle":
        idle(port, float(argument))
    elif command == "ceiling":
        ceiling(port, int(argument), sys.argv[4] if len(sys.argv) > 4 else "/v2/")
    else:
        fail(f"unknown check {command}")
    print("OK", flush=True)
