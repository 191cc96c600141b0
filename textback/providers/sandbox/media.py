"""The sandbox network's recordings: a simulated voicemail is a short tone the browser can play.

The URLs look like a provider's (https, on a host of the sandbox's own that does not exist on the
internet), so the inbox treats them like Twilio's; nothing is ever fetched over the network.
"""

import functools
import io
import math
import re
import wave

from textback.providers.media import Media, MediaRefused

BASE = "https://media.sandbox.invalid/"
_RECORDING = re.compile(r"recordings/(\d{1,3})s\.wav")
RATE = 8000
MAX_SECONDS = 120


def recording_url(seconds: int) -> str:
    return f"{BASE}recordings/{min(max(seconds, 1), MAX_SECONDS)}s.wav"


def open_media(url: str) -> Media:
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
