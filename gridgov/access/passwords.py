"""Password hashing with argon2id (parameters from settings; tests use cheap ones)."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gridgov.settings import get_settings


@lru_cache
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hasher() -> PasswordHasher:
    s = get_settings()
    return _hasher(s.argon2_time_cost, s.argon2_memory_cost, s.argon2_parallelism)


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash to verify against when the user does not exist, so that timing does not reveal usernames.
def dummy_verify(password: str) -> None:
    verify_password(_dummy_hash(), password)


@lru_cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password")


def check_password_policy(password: str) -> None:
    from gridgov.errors import Invalid

    if len(password) < 8:
        raise Invalid("密码至少需要 8 位", code="weak_password")
    classes = sum(any(f(c) for c in password) for f in (str.isdigit, str.islower, str.isupper))
    classes += any(not c.isalnum() for c in password)
    if classes < 2:
        raise Invalid("密码需包含数字、字母、符号中的至少两类", code="weak_password")
