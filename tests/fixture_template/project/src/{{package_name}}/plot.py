"""A dependency-free PNG bar chart, so the fixture project needs no plotting library."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bar_chart_png(values: list[float], width: int = 40, height: int = 100) -> bytes:
    """Grey-scale PNG with one black bar per value in [0, 1], `width` pixels wide each."""
    rows = []
    for y in range(height):
        level = 1 - y / height
        row = bytearray([0])  # filter type: none
        for value in values:
            row += bytes([0 if value >= level else 255]) * (width - 4) + bytes([255]) * 4
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", width * len(values), height, 8, 0, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
    return png + _chunk(b"IDAT", zlib.compress(b"".join(rows))) + _chunk(b"IEND", b"")
