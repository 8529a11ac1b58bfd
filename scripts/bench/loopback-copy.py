#!/usr/bin/env python3
"""What the kernel allows for one HTTP body over loopback on this machine, without any server
framework: a blocking server thread sends one file to curl by sendfile(2) or by a pread/send
loop with a given chunk size, and reports the sending thread's CPU seconds per GiB and curl's
throughput. Not a test; the figures explain the blob GET design (BENCHMARKS.md).

    scripts/bench/loopback-copy.py [SIZE_MIB] [ROUNDS]     (defaults 1024, 3)
"""
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading

GIB = 1 << 30


def serve(listener, path, method, chunk, rounds, cpu):
    size = os.path.getsize(path)
    for _ in range(rounds):
        connection, _ = listener.accept()
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % size)
        descriptor = os.open(path, os.O_RDONLY)
        before = resource.getrusage(resource.RUSAGE_THREAD)
        sent = 0
        if method == "sendfile":
            while sent < size:
                sent += os.sendfile(connection.fileno(), descriptor, sent, size - sent)
        else:
            buffer = bytearray(chunk)
            view = memoryview(buffer)
            while sent < size:
                n = os.preadv(descriptor, [buffer], sent)
                connection.sendall(view[:n])
                sent += n
        after = resource.getrusage(resource.RUSAGE_THREAD)
        cpu.append((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * GIB / size)
        os.close(descriptor)
        connection.close()


def measure(path, method, chunk, rounds):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    cpu = []
    server = threading.Thread(target=serve, args=(listener, path, method, chunk, rounds, cpu))
    server.start()
    speeds = []
    for _ in range(rounds):
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{speed_download}", f"http://127.0.0.1:{port}/"],
                             capture_output=True, text=True, check=True).stdout
        speeds.append(float(out) / (1 << 20))
    server.join()
    listener.close()
    return statistics.median(speeds), statistics.median(cpu)


def main():
    size_mib = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.NamedTemporaryFile(prefix="loopback-copy-") as blob:
        remaining = size_mib << 20
        while remaining:
            piece = min(remaining, 1 << 24)
            blob.write(os.urandom(piece))
            remaining -= piece
        blob.flush()
        print("| method | MiB/s (median) | sender CPU s/GiB (median) |")
        print("| --- | --- | --- |")
        for method, chunk in [("sendfile", 0), ("read/send", 1 << 20), ("read/send", 512 << 10), ("read/send", 64 << 10), ("read/send", 32 << 10)]:
            speed, cpu = measure(blob.name, method, chunk, rounds)
            label = method if method == "sendfile" else f"{method} {chunk >> 10} KiB"
            print(f"| {label} | {speed:.0f} | {cpu:.3f} |")


if __name__ == "__main__":
    main()
