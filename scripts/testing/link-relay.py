#!/usr/bin/env python3
"""A slow, lossy link with a cut, in user space (this kernel has no netem): relays
127.0.0.1:LISTEN to 127.0.0.1:TARGET. Prints the port it listens on, then a line per event.

    link-relay.py TARGET_PORT [--rate BYTES_PER_S] [--total-rate BYTES_PER_S] [--latency MS] [--loss P]
                              [--cut-after BYTES] [--cut-for SECONDS] [--seed N]

--rate      caps each connection's downstream throughput
--total-rate caps all connections' downstream throughput together, as one site's WAN link does
--latency   delays every chunk in both directions
--loss      the chance that a chunk stalls for 200 ms, as a lost segment's retransmission does
--cut-after once this many bytes have gone downstream in all, the link goes dark for --cut-for
            seconds: connections open at that moment never carry another byte (their peers are
            not told, as when a NAT or firewall on the path forgets them), and connections made
            during the cut wait silently until it ends.
"""
import argparse
import random
import socket
import sys
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument("target", type=int)
parser.add_argument("--rate", type=float, default=0)
parser.add_argument("--total-rate", type=float, default=0)
parser.add_argument("--latency", type=float, default=0)
parser.add_argument("--loss", type=float, default=0)
parser.add_argument("--cut-after", type=int, default=-1)
parser.add_argument("--cut-for", type=float, default=0)
parser.add_argument("--seed", type=int, default=1)
options = parser.parse_args()

lock = threading.Lock()
random.seed(options.seed)
state = {"downstream": 0, "cut_at": None, "generation": 0, "generation_at_cut": 0}


def say(line):
    print(line, flush=True)


class Bucket:
    """A token bucket all connections draw from; holds at most 50 ms of the rate."""

    def __init__(self, rate):
        self.rate, self.tokens, self.last, self.lock = rate, 0.0, time.monotonic(), threading.Lock()

    def take(self, count):
        while True:
            with self.lock:
                now = time.monotonic()
                self.tokens = min(self.rate * 0.05, self.tokens + (now - self.last) * self.rate)
                self.last = now
                if self.tokens >= 0:
                    self.tokens -= count
                    return
                wait = -self.tokens / self.rate
            time.sleep(wait)


shared = Bucket(options.total_rate) if options.total_rate else None


def wait_for_link(generation):
    """Returns when this connection may carry bytes; never for one that was open at the cut."""
    while True:
        with lock:
            cut_at, open_at_cut = state["cut_at"], state["generation_at_cut"]
        if cut_at is None:
            return
        if generation <= open_at_cut:
            while True:
                time.sleep(3600)
        if time.monotonic() - cut_at >= options.cut_for:
            return
        time.sleep(0.05)


def pump(source, sink, downstream, generation):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            wait_for_link(generation)
            if options.latency:
                time.sleep(options.latency / 1000)
            if options.loss and random.random() < options.loss:
                time.sleep(0.2)
            if downstream:
                with lock:
                    state["downstream"] += len(data)
                    if options.cut_after >= 0 and state["cut_at"] is None and state["downstream"] > options.cut_after:
                        state["cut_at"] = time.monotonic()
                        state["generation_at_cut"] = state["generation"]
                        say(f"cut after {state['downstream']} bytes for {options.cut_for} s")
                if options.rate:
                    time.sleep(len(data) / options.rate)
                if shared:
                    shared.take(len(data))
                wait_for_link(generation)
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
        with lock:
            state["generation"] += 1
            generation = state["generation"]
        upstream = socket.create_connection(("127.0.0.1", options.target))
        threading.Thread(target=pump, args=(client, upstream, False, generation), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client, True, generation), daemon=True).start()


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(64)
say(f"port {listener.getsockname()[1]}")
threading.Thread(target=serve, args=(listener,), daemon=True).start()
while True:
    time.sleep(0.1)
