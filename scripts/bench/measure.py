#!/usr/bin/env python3
"""Runs a command and prints `SECONDS PEAK_RSS_MIB` for it (wall time, and the largest resident
set of the command and anything it waited for), its own output going to stderr.

    measure.py COMMAND [ARG...]
"""
import resource
import subprocess
import sys
import time

start = time.monotonic()
result = subprocess.run(sys.argv[1:], stdout=sys.stderr)
seconds = time.monotonic() - start
if result.returncode != 0:
    sys.exit(f"{sys.argv[1]} exited {result.returncode}")
print(f"{seconds:.2f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024}")
