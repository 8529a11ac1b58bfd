#!/usr/bin/env python3
"""Probes the satellite's HTTPS proxy (--http-proxy-listen) with raw sockets, as hostile or
careless clients would, and checks what the satellite holds afterwards (/proc/PID/fd). Exits 1
with a message naming the failed check, 0 when every check holds.

    proxy-probe.py fuzz PORT PID SEED COUNT HOST:PORT CAFILE
        COUNT malformed or refused heads (random bytes, broken CONNECT lines, huge heads, heads
        cut short): each answered below 500 or closed, never held; then a CONNECT to HOST:PORT
        (a registry the state names) is still served under CAFILE, and the descriptors are back.
    proxy-probe.py idle-tunnels PORT PID COUNT TARGET_HOST:PORT HOST:PORT CAFILE
        COUNT tunnels to TARGET (an echo server, in --proxy-pass) opened and left idle; meanwhile
        the registry HOST:PORT is served through the proxy within 2 s and a tunnel still echoes;
        once they close, the satellite's descriptors are back where they were.
    proxy-probe.py ceiling PORT MAXIMUM
        MAXIMUM connections held without a head; the next gets 503 at once; once they close, a new
        connection is answered again.
    proxy-probe.py echo-server HOST PORT
        Echoes every connection's bytes (the tunnels' far end); raises its own file limit.
"""
import asyncio
import os
import random
import resource
import socket
import ssl
import sys
import time


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def open_files(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def raise_file_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def read_status(sock, timeout=10):
    """The status of the response the proxy sends, None when it closes without one."""
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        return None
    parts = data.split(b"\r\n", 1)[0].split(b" ")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def connect(port, target):
    """A CONNECT to TARGET through the proxy: the socket and the status."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    status_line = b""
    while not status_line.endswith(b"\r\n\r\n"):
        byte = sock.recv(1)
        if not byte:
            break
        status_line += byte
    parts = status_line.split(b" ")
    return sock, int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def served(port, registry, cafile, within=10.0):
    """GET /v2/ of REGISTRY through the proxy, under TLS checked against CAFILE: its status."""
    started = time.monotonic()
    sock, status = connect(port, registry)
    if status != 200:
        fail(f"CONNECT {registry} got {status}, not 200")
    host = registry.rsplit(":", 1)[0].strip("[]")
    context = ssl.create_default_context(cafile=cafile)
    with context.wrap_socket(sock, server_hostname=host) as tls:
        tls.sendall(f"GET /v2/ HTTP/1.1\r\nHost: {registry}\r\nConnection: close\r\n\r\n".encode())
        status = read_status(tls)
    elapsed = time.monotonic() - started
    if elapsed > within:
        fail(f"the registry took {elapsed:.1f} s through the proxy (limit {within} s)")
    return status


def malformed(rng):
    """One head a careless or hostile client might send."""
    host = rng.choice(["harbor.example.com", "10.0.0.1", "[fd00::1]", "a" * 300, "", "h h", "-x.y"])
    port = rng.choice(["443", "0", "65536", "", "x", "99999999999", "443/", "-1"])
    choices = [
        lambda: bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 600))) + b"\r\n\r\n",
        lambda: f"CONNECT {host}:{port} HTTP/1.1\r\n\r\n".encode(),
        lambda: f"CONNECT {host} HTTP/1.1\r\n\r\n".encode(),
        lambda: f"CONNECT evil-{rng.randint(0, 10**6)}.example:443 HTTP/1.1\r\n\r\n".encode(),
        lambda: f"CONNECT 127.0.0.1:{rng.randint(1, 65535)} HTTP/1.1\r\n\r\n".encode(),
        lambda: b"CONNECT h:443 HTTP/1.1\r\nX: " + b"a" * rng.randint(17000, 40000) + b"\r\n\r\n",
        lambda: b"CONNECT h:443 HTTP/9.9\r\n\r\n",
        lambda: b"CONNECT h:443\r\n\r\n",
        lambda: b"\r\n\r\n",
        lambda: b"GET http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\n\r\n",
        lambda: b"GET / HTTP/1.1\r\nHost: " + bytes(rng.getrandbits(8) for _ in range(40)) + b"\r\n\r\n",
        lambda: b"CONNECT h:443 HTTP/1.1\r\n",  # cut short: the client closes
        lambda: b"CONNECT " + bytes(rng.choice(b"\x00\x7f\xff\t ") for _ in range(5)) + b":443 HTTP/1.1\r\n\r\n",
    ]
    return rng.choice(choices)()


def fuzz(port, pid, seed, count, registry, cafile):
    rng = random.Random(seed)
    before = open_files(pid)
    statuses = {}
    for index in range(count):
        head = malformed(rng)
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        try:
            sock.sendall(head)
        except OSError:
            pass
        if not head.endswith(b"\r\n\r\n"):
            sock.close()
            continue
        status = read_status(sock)
        sock.close()
        statuses[status] = statuses.get(status, 0) + 1
        if status is not None and status >= 500 and status not in (502,):
            fail(f"head {index} ({head[:80]!r}) got {status}")
    print(f"{count} heads: answers {sorted(statuses.items(), key=lambda kv: str(kv[0]))}", flush=True)
    if served(port, registry, cafile) != 200:
        fail("the registry is not served through the proxy after the fuzzing")
    deadline = time.monotonic() + 10
    while open_files(pid) > before + 8:
        if time.monotonic() > deadline:
            fail(f"the satellite holds {open_files(pid)} descriptors, {before} before the fuzzing")
        time.sleep(0.2)


def idle_tunnels(port, pid, count, target, registry, cafile):
    raise_file_limit()
    before = open_files(pid)
    tunnels = []
    started = time.monotonic()
    for index in range(count):
        sock, status = connect(port, target)
        if status != 200:
            fail(f"tunnel {index} to {target} got {status}, not 200")
        tunnels.append(sock)
    held = open_files(pid)
    print(f"{count} idle tunnels opened in {time.monotonic() - started:.1f} s; the satellite holds "
          f"{held} descriptors ({before} before)", flush=True)
    if held < before + count:
        fail(f"the satellite holds {held} descriptors: the {count} tunnels are not all open")
    if served(port, registry, cafile, within=2.0) != 200:
        fail("the registry is not served through the proxy beside the idle tunnels")
    probe = random.Random(1).choice(tunnels)
    probe.sendall(b"still there?")
    probe.settimeout(10)
    if probe.recv(100) != b"still there?":
        fail("an idle tunnel no longer relays")
    for sock in tunnels:
        sock.close()
    deadline = time.monotonic() + 15
    while open_files(pid) > before + 8:
        if time.monotonic() > deadline:
            fail(f"the satellite holds {open_files(pid)} descriptors after the tunnels closed ({before} before)")
        time.sleep(0.2)
    print("the tunnels' descriptors are released once they close", flush=True)


def ceiling(port, maximum):
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(maximum)]
    time.sleep(0.5)
    extra = socket.create_connection(("127.0.0.1", port))
    status = read_status(extra, timeout=5)
    if status != 503:
        fail(f"a connection beyond the ceiling of {maximum} got {status}, not 503")
    extra.close()
    for sock in held:
        sock.close()
    deadline = time.monotonic() + 5
    while True:
        sock, status = connect(port, "not-passed.example:443")
        sock.close()
        if status == 403:
            break
        if time.monotonic() > deadline:
            fail(f"after closing connections, a new one still gets {status}")
        time.sleep(0.1)
    print(f"connection {maximum + 1} of {maximum} got 503; answered again once others closed", flush=True)


async def echo(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def echo_server(host, port):
    raise_file_limit()
    server = await asyncio.start_server(echo, host, port, backlog=4096)
    print("listening", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "fuzz":
        fuzz(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7])
    elif command == "idle-tunnels":
        idle_tunnels(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6], sys.argv[7])
    elif command == "ceiling":
        ceiling(int(sys.argv[2]), int(sys.argv[3]))
    elif command == "echo-server":
        asyncio.run(echo_server(sys.argv[2], int(sys.argv[3])))
        sys.exit(0)
    else:
        fail(f"unknown check {command}")
    print("OK", flush=True)
