"""Counter-based randomness: the same numbers in every process, with no shared state.

Every random draw of the simulated centre comes from a generator seeded by a
hash of (seed, what is drawn, which one). Python's own ``hash()`` is salted per
process, so it is never used here: blake2b gives every process the same seed,
and ``random.Random`` seeded with an int gives the same sequence everywhere.
"""

import hashlib
import math
import random


def stable_int(*parts: object) -> int:
    """A 64-bit integer that depends only on the parts' text."""
    text = "\x1f".join(str(part) for part in parts)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def unit(*parts: object) -> float:
    """A number in [0, 1) that depends only on the parts."""
    return stable_int(*parts) / 2.0**64


def stream(*parts: object) -> random.Random:
    """A generator of its own for one (seed, thing, counter)."""
    return random.Random(stable_int(*parts))


def stable_uuid(*parts: object) -> str:
    """A version-4-shaped UUID that depends only on the parts (IDs of queues, agents, ...)."""
    digest = bytearray(
        hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=16).digest()
    )
    digest[6] = (digest[6] & 0x0F) | 0x40
    digest[8] = (digest[8] & 0x3F) | 0x80
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def exponential(rng: random.Random, mean: float) -> float:
    # Written out rather than rng.expovariate so the formula is fixed here,
    # whatever a future Python does.
    return -mean * math.log(1.0 - rng.random())


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means of one time bucket."""
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
