# tamper.py - change a sealed log (daemon/outlog.h) as an intruder would,
# for tests/integration/audit.sh.
# SPDX-License-Identifier: MIT
#
#   tamper.py flip LOG N OFF          flip a bit of byte OFF of record N
#   tamper.py hflip LOG OFF           flip a bit of byte OFF of the header
#   tamper.py delete LOG N            remove record N
#   tamper.py swap LOG N M            exchange records N and M
#   tamper.py cut LOG N               keep records 0..N-1
#   tamper.py append LOG STATE K      cut nothing, append K records sealed
#                                     with the key in STATE (the host's
#                                     current key: CVE-2023-31438 after a cut)
#   tamper.py reseal LOG STATE N OFF  change record N and re-seal it and all
#                                     after it with the key in STATE, chain
#                                     recomputed (CVE-2023-31439)
import hashlib
import struct
import sys

HDR, REC, DATA = 64, 256, 224


def h(*parts, key=b""):
    b = hashlib.blake2b(digest_size=32, key=key)
    for p in parts:
        b.update(p)
    return b.digest()


def load(path):
    data = open(path, "rb").read()
    n = (len(data) - HDR) // REC
    return data[:HDR], [bytearray(data[HDR + i * REC:HDR + (i + 1) * REC]) for i in range(n)]


def save(path, hdr, recs):
    with open(path, "wb") as f:
        f.write(bytes(hdr))
        for r in recs:
            f.write(bytes(r))


def state_key(path):
    st = open(path, "rb").read()
    assert st[:8] == b"OSSTATE1"
    return st[48:80]


def seal_from(recs, start, key):
    """Number and seal records start.. as the writer would, with key."""
    for i in range(start, len(recs)):
        struct.pack_into("<Q", recs[i], 8, i)
    chain = b"\0" * 32
    for i, r in enumerate(recs):
        chain = h(b"\x02", chain, h(b"\0", bytes(r[:DATA])))
        if i >= start:
            r[DATA:] = h(b"\x03", struct.pack("<Q", i), chain, key=key)
            key = h(b"\x04", key)


def main():
    cmd, log = sys.argv[1], sys.argv[2]
    hdr, recs = load(log)
    a = [int(x) for x in sys.argv[3:] if x.isdigit()]
    if cmd == "flip":
        recs[a[0]][a[1]] ^= 0x01
    elif cmd == "hflip":
        hdr = bytearray(hdr)
        hdr[a[0]] ^= 0x01
    elif cmd == "delete":
        del recs[a[0]]
    elif cmd == "swap":
        recs[a[0]], recs[a[1]] = recs[a[1]], recs[a[0]]
    elif cmd == "cut":
        recs = recs[:a[0]]
    elif cmd == "append":
        key = state_key(sys.argv[3])
        n = len(recs)
        for k in range(int(sys.argv[4])):
            r = bytearray(recs[-1])
            recs.append(r)
        seal_from(recs, n, key)
    elif cmd == "reseal":
        key = state_key(sys.argv[3])
        n, off = int(sys.argv[4]), int(sys.argv[5])
        recs[n][off] ^= 0x01
        seal_from(recs, n, key)
    else:
        sys.exit("tamper.py: unknown command " + cmd)
    save(log, hdr, recs)


main()
