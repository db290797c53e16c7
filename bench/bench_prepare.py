"""Prepare one version's benchmark database, with that version's code:
`bench/signin_bench.py` runs this script with the version's directory first on
PYTHONPATH, so `deskguard` (models, migrations, services) comes from there.

    bench_prepare.py setup SPEC.json
        SPEC.json: {"password": ..., "twofactor": [[email, TOTP secret], ...]}.
        Migrates and creates the accounts: agents with an authenticator whose secret
        the bench knows (last accepted step 0, so the current code works).
    bench_prepare.py micro EMAIL --seconds N
        The in-process micro-benchmarks (bench/micro.py), EMAIL an account with 2FA.

Each prints one JSON object on the last line of stdout."""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deskguard.settings")


def accounts_create(password: str, twofactor: list[tuple[str, str]]) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from deskguard.accounts.models import Kind, User
    from deskguard.twofactor.services import device_activate

    encoded = make_password(password)  # one hash for all: creation stays fast
    with transaction.atomic():
        users = User.objects.bulk_create(
            User(email=email, kind=Kind.AGENT, password=encoded) for email, _ in twofactor
        )
        by_email = {u.email: u for u in users}
        for email, secret in twofactor:
            device_activate(user=by_email[email], secret=secret, step=0)


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        cursor.execute("SELECT sqlite_version()")
        version = f"SQLite {cursor.fetchone()[0]}"
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous")
        synchronous = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(cursor.fetchone()[0])
        return f"{version} (journal_mode={journal}, synchronous={synchronous})"


def micro_run(probe_email: str, seconds: float) -> dict[str, Any]:
    import micro

    from deskguard.accounts.models import User

    ours, default, rec = micro.run(user=User.objects.get(email=probe_email), seconds=seconds)
    return {
        "hashers": [
            {
                "label": h.label,
                "params": h.params,
                "per_second_one_caller": h.per_second_one_caller,
                "cpu_ms_per_verify": h.cpu_ms_per_verify,
            }
            for h in (ours, default)
        ],
        "recovery": {
            "wrong_code_ms": rec.wrong_code_ms,
            "hmac_us": rec.hmac_us,
            "ten_slow_hashes_ms": rec.ten_slow_hashes_ms,
            "ten_default_hashes_ms": rec.ten_default_hashes_ms,
            "checks": rec.checks,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    setup = commands.add_parser("setup")
    setup.add_argument("spec")
    micro = commands.add_parser("micro")
    micro.add_argument("email")
    micro.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    import deskguard

    result: dict[str, Any] = {"deskguard": deskguard.__file__, "django": django.get_version()}
    if args.command == "setup":
        with open(args.spec) as fh:
            spec = json.load(fh)
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        migrated = time.perf_counter()
        accounts_create(spec["password"], [tuple(a) for a in spec["twofactor"]])
        result |= {
            "database": database_version(),
            "migrate_s": migrated - started,
            "accounts_s": time.perf_counter() - migrated,
            "accounts": len(spec["twofactor"]),
        }
    else:
        result["micro"] = micro_run(args.email, args.seconds)
    connections.close_all()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
