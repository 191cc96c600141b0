"""The sandbox network's files: a simulated voicemail is a short tone the browser can play, and a
simulated MMS can carry a sample picture.

The URLs look like a provider's (https, on a host of the sandbox's own that does not exist on the
internet), so the inbox treats them like Twilio's; nothing is ever fetched over the network.
"""

import functools
import io
import math
import re
import struct
import wave
import zlib

from textback.providers.media import Media, MediaRefused

BASE = "https://media.sandbox.invalid/"
_RECORDING = re.compile(r"recordings/(\d{1,3})s\.wav")
PICTURE = "pictures/sample.png"
RATE = 8000
MAX_SECONDS = 120


def recording_url(seconds: int) -> str:
    return f"{BASE}recordings/{min(max(seconds, 1), MAX_SECONDS)}s.wav"


def picture_url() -> str:
    return BASE + PICTURE


def open_media(url: str) -> Media:
    if url == BASE + PICTURE:
        data = picture()
        return Media("image/png", len(data), iter([data]))
    found = _RECORDING.fullmatch(url.removeprefix(BASE)) if url.startswith(BASE) else None
    if found is None:
        raise MediaRefused("The sandbox has no such file.", 404)
    data = tone(int(found.group(1)))
    return Media("audio/wav", len(data), iter([data]))


@functools.lru_cache(maxsize=8)
def tone(seconds: int) -> bytes:
    """A quiet, speech-like warble of the recording's length (8 kHz, 8-bit mono: 8 kB a second)."""
    seconds = min(max(seconds, 1), MAX_SECONDS)
    samples = bytearray()
    for n in range(seconds * RATE):
        t = n / RATE
        syllable = 0.5 + 0.5 * math.sin(2 * math.pi * 3 * t)  # three "syllables" a second
        pitch = 180 + 40 * math.sin(2 * math.pi * 0.7 * t)
        samples.append(128 + int(40 * syllable * math.sin(2 * math.pi * pitch * t)))
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(1)
        file.setframerate(RATE)
        file.writeframes(bytes(samples))
    return out.getvalue()


@functools.lru_cache(maxsize=1)
def picture(width: int = 320, height: int = 240) -> bytes:
    """A sample photo: a blue drop on a grey wall above a darker floor (a PNG, made here)."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # PNG filter type 0 for each row
        for x in range(width):
            dx, dy = (x - width / 2) / 40, (y - height / 2.4) / 55
            if dx * dx + dy * dy < 1 - max(0.0, -dy) * 0.6:
                pixel = (40, 110 + int(60 * (1 - abs(dx))), 200)
            elif y > height * 0.75:
                pixel = (90, 80, 70)
            else:
                shade = 200 - (y * 40) // height
                pixel = (shade, shade, shade - 10)
            row += bytes(pixel)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )
