"""Near-duplicate signatures: MinHash (datasketch) of word 5-shingles, banded for LSH lookups in the store.

datasketch's own MinHashLSH keeps its index in memory (or Redis/Cassandra); the bands live in SQLite here so the
index survives restarts and grows with the store, and a candidate is confirmed on the full signature.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
from datasketch import MinHash

NUM_PERM = 64
BANDS = 16  # 16 bands of 4 rows: pairs above ~0.5 Jaccard become candidates
ROWS = NUM_PERM // BANDS
SHINGLE = 5
_WORD = re.compile(r"\w+", re.UNICODE)


def normalise_text(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def content_hash(text: str) -> str:
    """Identity of an article's text, blind to case, punctuation and whitespace."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def signature(text: str) -> np.ndarray:
    words = normalise_text(text).split()
    shingles = {" ".join(words[i : i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))}
    minhash = MinHash(num_perm=NUM_PERM, seed=1)
    minhash.update_batch([s.encode("utf-8") for s in shingles])
    return minhash.hashvalues.astype(np.uint64)


def band_hashes(sig: np.ndarray) -> list[int]:
    """One signed 64-bit hash per band (SQLite integers are signed)."""
    out = []
    for band in range(BANDS):
        chunk = sig[band * ROWS : (band + 1) * ROWS].tobytes()
        out.append(int.from_bytes(hashlib.blake2b(chunk, digest_size=8).digest(), "big", signed=True))
    return out


def similarity(a: np.ndarray, b: bytes | np.ndarray) -> float:
    other = np.frombuffer(b, dtype=np.uint64) if isinstance(b, bytes) else b
    if other.shape != a.shape:
        return 0.0
    return float(np.count_nonzero(a == other)) / len(a)
