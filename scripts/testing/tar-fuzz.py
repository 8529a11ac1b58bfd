#!/usr/bin/env python3
"""Writes hand-crafted bundles whose tar headers lie, for `satellite import` to refuse.

usage: tar-fuzz.py DIRECTORY SEED COUNT

The first archives are the cases probing found or that sit on an edge (a pax size near
Int64.max, negative and oversized base-256 sizes, pax records whose length field is wrong, names
that climb out); the rest mutate the fields of a valid header at random and set its checksum
again, so the reader gets past the checksum to the field parsing. Every archive is written with
no valid state signature, so each must be refused with a message, never crash the importer.
Prints how many it wrote.
"""
import io
import os
import random
import sys
import tarfile

BLOCK = 512


def checksum(block):
    """The header with its checksum field set, as tar computes it (the field taken as spaces)."""
    block = bytearray(block)
    block[148:156] = b" " * 8
    total = sum(block)
    block[148:156] = b"%06o\0 " % total
    return bytes(block)


def header(name=b"blobs/sha256/" + b"a" * 64, size=b"%011o\0" % 4, kind=b"0", magic=b"ustar\x0000"):
    block = bytearray(BLOCK)
    block[0:len(name[:100])] = name[:100]
    block[100:108] = b"0000644\0"
    block[108:116] = b"0000000\0"
    block[116:124] = b"0000000\0"
    block[124:136] = size[:12].ljust(12, b"\0")
    block[136:148] = b"00000000000\0"
    block[156:157] = kind
    block[257:265] = magic
    return checksum(block)


def pax(records):
    """A pax extended header (`x`) carrying `records` as they are, right or wrong."""
    data = b"".join(records)
    padded = data + b"\0" * (-len(data) % BLOCK)
    return header(name=b"PaxHeaders/x", size=b"%011o\0" % len(data), kind=b"x") + padded


def record(key, value):
    body = b" %s=%s\n" % (key, value)
    length = len(body) + 1
    while len(str(length)) + len(body) != length:
        length += 1
    return str(length).encode() + body


def base256(value_bytes):
    return bytes([0x80]) + value_bytes.rjust(11, b"\0")[-11:]


def entry(head, content=b"x" * 4):
    return head + content + b"\0" * (-len(content) % BLOCK)


def end():
    return b"\0" * (2 * BLOCK)


def edge_cases():
    blob = b"blobs/sha256/" + b"b" * 64
    yield "pax-size-int64-max", pax([record(b"size", b"9223372036854775807")]) + entry(header(name=blob)) + end()
    yield "pax-size-int64-max-minus-one", pax([record(b"size", b"9223372036854775806")]) + entry(header(name=blob)) + end()
    yield "pax-size-beyond-int64", pax([record(b"size", b"99999999999999999999999")]) + entry(header(name=blob)) + end()
    yield "pax-size-negative", pax([record(b"size", b"-1")]) + entry(header(name=blob)) + end()
    yield "pax-size-not-a-number", pax([record(b"size", b"0x10")]) + entry(header(name=blob)) + end()
    yield "pax-record-length-too-short", pax([b"2 \n"]) + entry(header(name=blob)) + end()
    yield "pax-record-length-zero", pax([b"0 size=1\n"]) + entry(header(name=blob)) + end()
    yield "pax-record-length-beyond", pax([b"999 size=1\n"]) + entry(header(name=blob)) + end()
    yield "pax-record-length-huge", pax([b"9223372036854775807 size=1\n"]) + entry(header(name=blob)) + end()
    yield "pax-record-no-equals", pax([b"9 sizeX1\n"]) + entry(header(name=blob)) + end()
    yield "pax-record-no-newline", pax([b"10 size=12X"]) + entry(header(name=blob)) + end()
    yield "pax-path-climbs-out", pax([record(b"path", b"../../../etc/passwd")]) + entry(header(name=blob)) + end()
    yield "pax-path-absolute", pax([record(b"path", b"/blobs/sha256/" + b"c" * 64)]) + entry(header(name=blob)) + end()
    yield "pax-path-nul", pax([record(b"path", b"blobs/sha256/\0" + b"c" * 63)]) + entry(header(name=blob)) + end()
    yield "pax-header-oversized", header(name=b"PaxHeaders/x", size=b"%011o\0" % (64 << 20), kind=b"x") + b"\0" * BLOCK + end()
    yield "base256-int64-max", entry(header(name=blob, size=base256(b"\x7f" + b"\xff" * 7))) + end()
    yield "base256-all-ones", entry(header(name=blob, size=b"\xff" * 12)) + end()
    yield "base256-negative", entry(header(name=blob, size=bytes([0xff]) + b"\xff" * 10 + b"\xfe")) + end()
    yield "base256-just-past-limit", entry(header(name=blob, size=base256((1 << 50 | 1).to_bytes(8, "big")))) + end()
    yield "octal-all-sevens", entry(header(name=blob, size=b"77777777777\0")) + end()
    yield "octal-garbage", entry(header(name=blob, size=b"9999\0\0\0\0\0\0\0\0")) + end()
    yield "symlink-entry", entry(header(name=blob, kind=b"2")) + end()
    yield "hardlink-entry", entry(header(name=blob, kind=b"1")) + end()
    yield "device-entry", entry(header(name=blob, kind=b"3")) + end()
    yield "name-climbs-out", entry(header(name=b"blobs/sha256/../../../../tmp/x")) + end()
    yield "blob-before-state", entry(header(name=blob)) + end()
    yield "cut-inside-header", header(name=blob)[:300]
    yield "cut-inside-content", header(name=blob, size=b"%011o\0" % 4096) + b"x" * 100
    yield "bad-checksum", header(name=blob)[:148] + b"0000000\0" + header(name=blob)[156:] + end()
    yield "empty-file", b""
    yield "one-zero-block", b"\0" * BLOCK


def mutated(rng):
    """A header whose fields are overwritten with random or edge bytes, checksum set again."""
    block = bytearray(header())
    for _ in range(rng.randint(1, 4)):
        field = rng.choice([(0, 100), (124, 136), (156, 157), (257, 265), (345, 500)])
        start, stop = field
        choice = rng.random()
        if choice < 0.3:
            fill = bytes(rng.randrange(256) for _ in range(stop - start))
        elif choice < 0.6:
            fill = bytes([rng.choice([0x80, 0xff, 0x7f, 0x00, 0x37, 0x20])]) * (stop - start)
        else:
            fill = bytes(rng.choice(b"01234567 \0") for _ in range(stop - start))
        block[start:stop] = fill
    content = os.urandom(rng.choice([0, 1, 511, 512, 513, 4096]))
    body = checksum(bytes(block)) + content + b"\0" * (-len(content) % BLOCK)
    if rng.random() < 0.5:
        value = rng.choice([b"9223372036854775807", b"-9", b"1" * 40, b"4", b"", b"18446744073709551615"])
        body = pax([record(rng.choice([b"size", b"path", b"linkpath"]), value)]) + body
    return body + (end() if rng.random() < 0.8 else b"")


def main():
    directory, seed, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = random.Random(seed)
    written = 0
    for name, data in edge_cases():
        with open(os.path.join(directory, f"{written:04d}-{name}.tar"), "wb") as f:
            f.write(data)
        written += 1
    while written < count:
        with open(os.path.join(directory, f"{written:04d}-random.tar"), "wb") as f:
            f.write(mutated(rng))
        written += 1
    # One well-formed archive from Python's own writer, so the importer's refusal of the
    # unsigned state is also seen on an archive it reads to the end.
    with tarfile.open(os.path.join(directory, f"{written:04d}-well-formed.tar"), "w", format=tarfile.PAX_FORMAT) as archive:
        data = b"{}"
        info = tarfile.TarInfo("satellite/state.json")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    print(written + 1)


if __name__ == "__main__":
    main()
