#!/usr/bin/env python3
"""wal.py FILE: what a SQLite WAL file holds that recovery would use.

Prints "SALT FRAMES COMMITS PAGE": the header's salts (as one hex word, or
"none" for a missing or empty file), the frames up to and including the
last commit frame of the current generation, the commits among them, and
the page size. A frame belongs to the current generation when its salts
are the header's; frames are appended in order, so the first frame with
other salts ends it. The checksums are not verified: under the power-cut
shim's model nothing is torn, so a frame is either all there or absent.
"""
import struct
import sys

path = sys.argv[1]
try:
    f = open(path, "rb")
except FileNotFoundError:
    print("none 0 0 0")
    sys.exit(0)
with f:
    head = f.read(32)
    if len(head) < 32:
        print("none 0 0 0")
        sys.exit(0)
    magic, _version, page, _seq, salt1, salt2 = struct.unpack(">6I", head[:24])
    if magic not in (0x377F0682, 0x377F0683):
        sys.exit("%s: not a WAL file" % path)
    frames = commits = last_commit = committed = 0
    while True:
        fh = f.read(24)
        if len(fh) < 24:
            break
        _pgno, dbsize, s1, s2 = struct.unpack(">4I", fh[:16])
        if (s1, s2) != (salt1, salt2):
            break
        if len(f.read(page)) < page:
            break
        frames += 1
        if dbsize != 0:
            commits += 1
            last_commit, committed = frames, commits
    print("%08x%08x %d %d %d" % (salt1, salt2, last_commit, committed, page))
