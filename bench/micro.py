"""In-process micro-benchmarks behind two design claims (run with Django set up):

1. deskguard's Argon2id parameters (m=19 MiB, t=2, p=1) against Django's default
   Argon2PasswordHasher parameters, in verifications per second per core.
2. Checking a wrong recovery code (one HMAC + one indexed UPDATE) against what
   a slow hash per stored code would cost (10 Argon2 verifications).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.contrib.auth.hashers import Argon2PasswordHasher

from deskguard.accounts.hashers import DeskguardArgon2Hasher
from deskguard.accounts.models import User
from deskguard.twofactor import recovery, services

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class HasherResult:
    label: str
    params: str
    per_second_one_caller: float  # wall clock, one calling thread
    cpu_ms_per_verify: float  # process CPU time, all threads the library used

    @property
    def per_core(self) -> float:
        return 1000 / self.cpu_ms_per_verify


@dataclass(frozen=True)
class RecoveryResult:
    wrong_code_ms: float  # recovery_code_use() with a wrong code: HMAC + UPDATE
    hmac_us: float  # the HMAC alone
    ten_slow_hashes_ms: float  # 10 verifications with deskguard's Argon2 parameters
    ten_default_hashes_ms: float  # 10 with Django's default Argon2 parameters
    checks: int


def _describe(hasher: Argon2PasswordHasher) -> str:
    return (
        f"Argon2id m={hasher.memory_cost // 1024} MiB, t={hasher.time_cost}, p={hasher.parallelism}"
    )


def hasher_rate(hasher: Argon2PasswordHasher, label: str, *, seconds: float) -> HasherResult:
    encoded = hasher.encode(PASSWORD, hasher.salt())
    hasher.verify(PASSWORD, encoded)  # warm up
    count = 0
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    while time.perf_counter() - wall_start < seconds or count < 5:
        if not hasher.verify(PASSWORD, encoded):
            raise AssertionError("the benchmark password did not verify")
        count += 1
    wall = time.perf_counter() - wall_start
    cpu = time.process_time() - cpu_start
    return HasherResult(label, _describe(hasher), count / wall, cpu / count * 1000)


def recovery_check_cost(
    *, user: User, ours: HasherResult, default: HasherResult, checks: int
) -> RecoveryResult:
    wrong = recovery.code_new()
    services.recovery_code_use(user=user, code=wrong)  # warm up the connection
    start = time.perf_counter()
    for _ in range(checks):
        if services.recovery_code_use(user=user, code=wrong) is not services.Check.WRONG:
            raise AssertionError("a random recovery code was accepted")
    wrong_ms = (time.perf_counter() - start) / checks * 1000
    start = time.perf_counter()
    rounds = 10_000
    for _ in range(rounds):
        recovery.digest(user.pk, wrong)
    hmac_us = (time.perf_counter() - start) / rounds * 1e6
    return RecoveryResult(
        wrong_code_ms=wrong_ms,
        hmac_us=hmac_us,
        ten_slow_hashes_ms=10 * 1000 / ours.per_second_one_caller,
        ten_default_hashes_ms=10 * 1000 / default.per_second_one_caller,
        checks=checks,
    )


def run(*, user: User, seconds: float) -> tuple[HasherResult, HasherResult, RecoveryResult]:
    ours = hasher_rate(DeskguardArgon2Hasher(), "deskguard", seconds=seconds)
    default = hasher_rate(Argon2PasswordHasher(), "Django default (baseline)", seconds=seconds)
    return ours, default, recovery_check_cost(user=user, ours=ours, default=default, checks=500)
