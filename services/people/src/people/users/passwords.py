"""Passwords: the rule they must meet (NIST SP 800-63B: length, no composition rules, no known-bad ones) and
their hashes (argon2id through argon2-cffi, re-hashed when its parameters change)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
# A hash of nothing anyone knows: an unknown username costs the same time as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))
MAX_LENGTH = 128

# Passwords people choose first (and the platform's own name): refused whatever their length.
_KNOWN_BAD = frozenset(
    {
        "123456789012",
        "1234567890123",
        "password1234",
        "password12345",
        "passwordpassword",
        "qwertyuiop12",
        "qwertyuiopasdf",
        "1qaz2wsx3edc",
        "iloveyou1234",
        "arflowarflow",
        "arflow123456",
        "admin1234567",
        "administrator",
        "woaini1314520",
        "a123456789012",
    }
)


def problems(password: str, *, username: str, min_length: int) -> list[tuple[str, str]]:
    """What is wrong with a new password, each (English, 中文); empty when it is acceptable."""
    found: list[tuple[str, str]] = []
    if len(password) < min_length:
        found.append((f"is shorter than {min_length} characters", f"少于 {min_length} 个字符"))
    if len(password) > MAX_LENGTH:
        found.append((f"is longer than {MAX_LENGTH} characters", f"超过 {MAX_LENGTH} 个字符"))
    folded = password.casefold()
    if folded in _KNOWN_BAD:
        found.append(("is one of the most common passwords", "属于最常见的密码"))
    if username and username.casefold() in folded:
        found.append(("contains the username", "包含用户名"))
    if password and len(set(password)) <= 2:
        found.append(("repeats one or two characters", "只重复一两个字符"))
    return found


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """Whether `password` is the one hashed (a missing hash still costs a verification)."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


def generated() -> str:
    """A one-time password: 20 URL-safe characters (about 120 bits), changed at first sign-in."""
    return secrets.token_urlsafe(15)
