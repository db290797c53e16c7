"""Password hashing (A3): Argon2id at the OWASP minimum.

Django's default Argon2 parameters (100 MiB, p=8) verify about 10 passwords a
second on a 2-core machine, so five gunicorn workers would queue at sign-in.
OWASP's Password Storage Cheat Sheet lists m=19 MiB, t=2, p=1 as an equivalent
minimum; it verifies about 54 a second per core.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class DeskguardArgon2Hasher(Argon2PasswordHasher):
    algorithm = "argon2"
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
