#!/usr/bin/env python3
"""Damages a bundle in place, as the tests need: `blob` flips one byte in the middle of the first
layer-sized blob; `state` changes the signed state's upstream address (same length, still JSON);
`show-state` prints the state document; `extra-blob` appends a well-formed blob that no manifest
names and prints its digest."""
import hashlib
import io
import os
import sys
import tarfile


def member(path, predicate):
    with tarfile.open(path) as archive:
        return next(m for m in archive.getmembers() if predicate(m))


def main():
    path, what = sys.argv[1], sys.argv[2]
    if what == "blob":
        entry = member(path, lambda m: m.name.startswith("blobs/") and m.size > 64)
        offset = entry.offset_data + entry.size // 2
        with open(path, "r+b") as f:
            f.seek(offset)
            byte = f.read(1)
            f.seek(offset)
            f.write(bytes([byte[0] ^ 1]))
    elif what in ("state", "show-state"):
        entry = member(path, lambda m: m.name == "satellite/state.json")
        with open(path, "r+b") as f:
            f.seek(entry.offset_data)
            data = f.read(entry.size)
            if what == "show-state":
                sys.stdout.write(data.decode())
                return
            forged = data.replace(b"127.0.0.1", b"127.0.0.2", 1)
            assert forged != data, "the state names no 127.0.0.1 address"
            f.seek(entry.offset_data)
            f.write(forged)
    elif what == "extra-blob":
        data = os.urandom(4096)
        digest = hashlib.sha256(data).hexdigest()
        with tarfile.open(path, "a", format=tarfile.PAX_FORMAT) as archive:
            info = tarfile.TarInfo(f"blobs/sha256/{digest}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        print(f"sha256:{digest}")
    else:
        sys.exit(f"unknown damage {what}")


if __name__ == "__main__":
    main()
