"""Text fingerprints: a content hash for exact duplicates, and a MinHash (datasketch) of word 5-shingles, banded for
LSH lookups in the store, for near-duplicates. Computed in the extraction workers, next to the text.

datasketch's own MinHashLSH keeps its index in memory (or Redis/Cassandra); the bands live in SQLite here so the
index survives restarts and grows with the store, and a candidate is confirmed on the full signature.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

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


def shingles(text: str) -> set[str]:
    words = normalise_text(text).split()
    return {" ".join(words[i : i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))}


_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=1).permutations  # derived from the seed; built once, not per text


def signature(shingle_set: set[str]) -> np.ndarray:
    minhash = MinHash(num_perm=NUM_PERM, seed=1, permutations=_PERMUTATIONS, scheme="affine32")
    minhash.update_batch([s.encode("utf-8") for s in shingle_set])
    return minhash.hashvalues.astype(np.uint64)


def band_hashes(sig: np.ndarray) -> list[int]:
    """One signed 64-bit hash per band (SQLite integers are signed)."""
    out = []
    for band in range(BANDS):
        chunk = sig[band * ROWS : (band + 1) * ROWS].tobytes()
        out.append(int.from_bytes(hashlib.blake2b(chunk, digest_size=8).digest(), "big", signed=True))
    return out


def similarity(a: np.ndarray, b: bytes | np.ndarray) -> float:
    """Estimated Jaccard similarity of two shingle sets from their signatures."""
    other = np.frombuffer(b, dtype=np.uint64) if isinstance(b, bytes) else b
    if other.shape != a.shape:
        return 0.0
    return float(np.count_nonzero(a == other)) / len(a)


def containment(jaccard: float, size_a: int, size_b: int) -> float:
    """Estimated share of the smaller text found in the larger one.

    Syndicated copies trim a closing paragraph or add a credit line: their Jaccard similarity drops quickly while
    nearly all of the shorter text is still inside the longer. From J = |A∩B| / |A∪B| and the set sizes,
    |A∩B| = J (|A| + |B|) / (1 + J).
    """
    if size_a <= 0 or size_b <= 0:
        return jaccard
    return min(1.0, jaccard * (size_a + size_b) / ((1 + jaccard) * min(size_a, size_b)))


@dataclass
class Fingerprint:
    content_hash: str
    minhash: bytes
    shingle_count: int

    @classmethod
    def of(cls, text: str) -> Fingerprint:
        shingle_set = shingles(text)
        return cls(content_hash(text), signature(shingle_set).tobytes(), len(shingle_set))

    def bands(self) -> list[int]:
        return band_hashes(np.frombuffer(self.minhash, dtype=np.uint64)) if self.minhash else []
