#!/usr/bin/env python3
"""A TCP relay for tests: forwards 127.0.0.1:LISTEN to 127.0.0.1:TARGET, and cuts the first
CUTS connections that carry more than LIMIT bytes back to the client. Prints the port it
listens on, then the total bytes relayed to clients when it gets SIGTERM.

    cutting-relay.py TARGET_PORT LIMIT_BYTES CUTS
"""
import os
import signal
import socket
import sys
import threading
import time

target, limit, cuts = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
lock = threading.Lock()
state = {"cuts_left": cuts, "relayed": 0}


def pump(source, sink, counting):
    sent = 0
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            if counting:
                with lock:
                    cut = state["cuts_left"] > 0 and sent + len(data) > limit
                    if cut:
                        state["cuts_left"] -= 1
                        data = data[: max(limit - sent, 0)]
                    state["relayed"] += len(data)
                sink.sendall(data)
                sent += len(data)
                if cut:
                    break
            else:
                sink.sendall(data)
    except OSError:
        pass
    for s in (source, sink):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


def serve(listener):
    while True:
        client, _ = listener.accept()
        upstream = socket.create_connection(("127.0.0.1", target))
        threading.Thread(target=pump, args=(client, upstream, False), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client, True), daemon=True).start()


def report(*_):
    with lock:
        print(f"relayed {state['relayed']}", flush=True)
    # Immediate exit: interpreter shutdown can stall on relay threads blocked in sockets.
    os._exit(0)


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(64)
signal.signal(signal.SIGTERM, report)
print(f"port {listener.getsockname()[1]}", flush=True)
threading.Thread(target=serve, args=(listener,), daemon=True).start()
# Not signal.pause(): the kernel may hand SIGTERM to a relay thread, and only a main thread that
# wakes up runs the handler.
while True:
    time.sleep(0.1)
