#!/usr/bin/env python3
"""Writes decompression bombs for the bounded-memory check (scripts/check-bombs.sh): a grey PNG and a grey JPEG
that are small on disk but huge once decoded. Standard library only; both are streamed, never held in memory.

usage: make_bombs.py OUT_FOLDER [PNG_SIDE=30000] [JPEG_SIDE=20000]
"""
import struct
import sys
import zlib
from pathlib import Path


def png(path: Path, side: int) -> None:
    """A valid 8-bit greyscale PNG, all black: about 1 KB per million pixels."""
    def chunk(out, kind: bytes, data: bytes) -> None:
        out.write(struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data)))

    compressor = zlib.compressobj(9)
    row = bytes(side + 1)  # filter byte 0, then the row
    idat = bytearray()
    for _ in range(side):
        idat += compressor.compress(row)
    idat += compressor.flush()
    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        chunk(out, b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
        chunk(out, b"IDAT", bytes(idat))
        chunk(out, b"IEND", b"")


def jpeg(path: Path, side: int) -> None:
    """A valid baseline greyscale JPEG, uniform grey 128: every 8x8 block is two bits (DC difference 0, end of block)."""
    def segment(marker: int, data: bytes) -> bytes:
        return struct.pack(">HH", 0xFF00 | marker, len(data) + 2) + data

    one_code = bytes([1] + [0] * 15) + b"\x00"  # one symbol (0) with the 1-bit code '0'
    header = b"\xff\xd8"
    header += segment(0xDB, b"\x00" + bytes([1] * 64))
    header += segment(0xC0, struct.pack(">BHHB", 8, side, side, 1) + b"\x01\x11\x00")
    header += segment(0xC4, b"\x00" + one_code) + segment(0xC4, b"\x10" + one_code)
    header += segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    blocks = ((side + 7) // 8) ** 2
    with open(path, "wb") as out:
        out.write(header)
        zero_bytes, bits = divmod(2 * blocks, 8)
        chunk = bytes(1 << 20)
        while zero_bytes > 0:
            n = min(zero_bytes, len(chunk))
            out.write(chunk[:n])
            zero_bytes -= n
        if bits:
            out.write(bytes([0xFF >> bits]))  # the last bits, padded with ones
        out.write(b"\xff\xd9")


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    png_side = int(sys.argv[2]) if len(sys.argv) > 2 else 30000
    jpeg_side = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
    png(folder / f"bomb-{png_side}.png", png_side)
    jpeg(folder / f"bomb-{jpeg_side}.jpg", jpeg_side)
