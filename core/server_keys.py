"""Server keys' format and hashing: pure functions, no Django.

A key is `pz_sk_` and 40 characters of `[A-Za-z0-9_-]` (30 random bytes); only its SHA-256
is stored, so a database leak does not leak working keys. The key has 240 bits of entropy,
so an unsalted fast hash is enough and lets a request find its key by an indexed lookup.
"""

import hashlib
import re
import secrets

PREFIX = "pz_sk_"
KEY_RE = re.compile(r"pz_sk_[A-Za-z0-9_-]{40}")
SHOWN_CHARACTERS = len(PREFIX) + 4  # what lists show to tell keys apart


def generate_server_key() -> str:
    return PREFIX + secrets.token_urlsafe(30)


def is_server_key(value: str) -> bool:
    return KEY_RE.fullmatch(value) is not None


def server_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def shown_prefix(key: str) -> str:
    return key[:SHOWN_CHARACTERS]
