"""Sign-in load benchmark: `make bench` (PostgreSQL), or
`.venv/bin/python bench/signin_bench.py --sqlite` (see --help).

Prepares a fresh database with benchmark accounts, serves the app with gunicorn
on 127.0.0.1, drives it with client threads, runs the in-process Argon2 and
recovery-code micro-benchmarks, and writes docs/benchmarks.md. Every scenario
has a baseline measured in the same run."""

from __future__ import annotations

import argparse
import os
import platform
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pyotp
from loadgen import BenchError, PhaseResult, csrf_token, expect_redirect, run_phase

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/deskguard_bench"
PASSWORD = "bench password, not a secret"
SIGNIN, VERIFY, HOME = "/agent/signin/", "/agent/signin/verify/", "/agent/"


@dataclass(frozen=True)
class Account:
    email: str
    secret: str | None = None  # TOTP secret, None for an account without 2FA


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sqlite", action="store_true", help="use SQLite instead of PostgreSQL")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers")
    parser.add_argument("--concurrency", type=int, default=10, help="client threads")
    parser.add_argument("--seconds", type=float, default=10.0, help="time limit per scenario")
    parser.add_argument("--requests", type=int, default=4000, help="request limit per scenario")
    parser.add_argument(
        "--twofactor-accounts",
        type=int,
        default=700,
        help="2FA accounts for each two-step scenario (each signs in once)",
    )
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    return parser.parse_args()


# Database and accounts ----------------------------------------------------------


def database_recreate(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deskguard.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def accounts_create(
    *, plain: int, twofactor: int
) -> tuple[list[Account], list[Account], list[Account]]:
    """Agents without 2FA, and two disjoint pools of agents with an authenticator
    whose secret the bench knows (last accepted step 0, so the current code works)."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from deskguard.accounts.models import Kind, User
    from deskguard.twofactor.services import device_activate

    encoded = make_password(PASSWORD)  # one hash for all: creation stays fast
    plain_accounts = [Account(f"bench-plain-{i}@example.com") for i in range(plain)]
    twofactor_accounts = [
        Account(f"bench-2fa-{i}@example.com", pyotp.random_base32(length=32))
        for i in range(2 * twofactor)
    ]
    with transaction.atomic():
        users = User.objects.bulk_create(
            User(email=a.email, kind=Kind.AGENT, password=encoded)
            for a in plain_accounts + twofactor_accounts
        )
        by_email = {u.email: u for u in users}
        for account in twofactor_accounts:
            assert account.secret is not None
            device_activate(user=by_email[account.email], secret=account.secret, step=0)
    return plain_accounts, twofactor_accounts[:twofactor], twofactor_accounts[twofactor:]


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


# Server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_start(env: dict[str, str], *, workers: int, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn), "deskguard.wsgi", "--workers", str(workers)]
    command += ["--bind", f"127.0.0.1:{port}", "--error-logfile", str(log)]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}; see {log}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return process, base_url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server_stop(process)
    raise SystemExit(f"gunicorn did not answer /healthz within 30 s; see {log}")


def server_stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# Scenarios ------------------------------------------------------------------------


def get_ok(path: str, marker: str):  # -> Operation
    def operation(client: httpx.Client, index: int, thread: int) -> float:
        start = time.perf_counter()
        response = client.get(path)
        seconds = time.perf_counter() - start
        if response.status_code != 200 or marker not in response.text:
            raise BenchError(f"GET {path}: HTTP {response.status_code}")
        return seconds

    return operation


def signin_form(client: httpx.Client) -> str:
    client.cookies.clear()
    return csrf_token(client.get(SIGNIN))


def password_post(client: httpx.Client, token: str, account: Account) -> httpx.Response:
    data = {"csrfmiddlewaretoken": token, "email": account.email, "password": PASSWORD}
    return client.post(SIGNIN, data=data)


def code_post(client: httpx.Client, token: str, account: Account) -> httpx.Response:
    assert account.secret is not None
    code = pyotp.TOTP(account.secret).now()
    return client.post(VERIFY, data={"csrfmiddlewaretoken": token, "code": code})


def password_signin(accounts: list[Account]):  # -> Operation
    """(c) Each thread signs in its own account without 2FA; only the POST counts."""

    def operation(client: httpx.Client, index: int, thread: int) -> float:
        account = accounts[thread % len(accounts)]
        token = signin_form(client)
        start = time.perf_counter()
        response = password_post(client, token, account)
        seconds = time.perf_counter() - start
        expect_redirect(response, HOME, "password POST")
        return seconds

    return operation


def twostep_signin(pool: queue.Queue[Account]):  # -> Operation
    """(d) Password POST then code POST, each account once: a code is single-use."""

    def operation(client: httpx.Client, index: int, thread: int) -> float:
        account = pool.get_nowait()
        token = signin_form(client)
        start = time.perf_counter()
        response = password_post(client, token, account)
        expect_redirect(response, VERIFY, "password POST")
        response = code_post(client, token, account)
        seconds = time.perf_counter() - start
        expect_redirect(response, HOME, "code POST")
        return seconds

    return operation


@dataclass
class Pending:
    account: Account
    token: str
    cookies: dict[str, str]


def pending_prepare(pool: list[Account], prepared: queue.Queue[Pending]):  # -> Operation
    """Unmeasured: the password step, leaving a half-signed-in session to finish."""

    def operation(client: httpx.Client, index: int, thread: int) -> float:
        account = pool[index]
        token = signin_form(client)
        expect_redirect(password_post(client, token, account), VERIFY, "password POST")
        prepared.put(Pending(account, token, dict(client.cookies)))
        return 0.0

    return operation


def code_step(prepared: queue.Queue[Pending]):  # -> Operation
    """(e) The code POST alone, on a session that passed the password step."""

    def operation(client: httpx.Client, index: int, thread: int) -> float:
        pending = prepared.get_nowait()
        client.cookies.clear()
        for name, value in pending.cookies.items():
            client.cookies.set(name, value)
        start = time.perf_counter()
        response = code_post(client, pending.token, pending.account)
        seconds = time.perf_counter() - start
        expect_redirect(response, HOME, "code POST")
        return seconds

    return operation


def loopback_addresses(count: int) -> list[str]:
    return [f"127.0.0.{n + 2}" for n in range(count)]


def load_run(
    args: argparse.Namespace,
    base_url: str,
    server_pid: int,
    plain: list[Account],
    pool_d: list[Account],
    pool_e: list[Account],
) -> list[PhaseResult]:
    common = {
        "base_url": base_url,
        "threads": args.concurrency,
        "max_seconds": args.seconds,
        "server_pid": server_pid,
    }
    results = []

    def phase(name: str, what: str, operation, max_ops: int, **extra) -> None:
        print(f"  {name} ...", flush=True)
        result = run_phase(
            name=name, what=what, operation=operation, max_ops=max_ops, **{**common, **extra}
        )
        print(
            f"    {result.count} in {result.elapsed:.1f} s, {result.rate:.1f}/s, "
            f"p50 {result.percentile(50):.1f} ms, app CPU {result.cpu_ms_per_op:.1f} ms/op, "
            f"errors {result.errors}",
            flush=True,
        )
        for sample in result.error_samples:
            print(f"    error: {sample}", flush=True)
        results.append(result)

    phase("(a) GET /healthz", "baseline: framework + one DB round trip", get_ok("/healthz", "ok"),
          args.requests)  # fmt: skip
    phase(
        "(b) GET /agent/signin/",
        "sign-in page (template, CSRF cookie)",
        get_ok(SIGNIN, "csrfmiddlewaretoken"),
        args.requests,
    )
    phase(
        "(c) password sign-in, no 2FA",
        "the POST only; all threads from 127.0.0.1",
        password_signin(plain),
        args.requests,
    )
    phase(
        "(c2) password sign-in, no 2FA, one address per thread",
        "as (c), each thread from its own 127.0.0.x",
        password_signin(plain),
        args.requests,
        local_addresses=loopback_addresses(args.concurrency),
    )
    pool: queue.Queue[Account] = queue.Queue()
    for account in pool_d:
        pool.put(account)
    phase(
        "(d) two-step sign-in (password + TOTP)",
        "password POST + code POST, each account once",
        twostep_signin(pool),
        len(pool_d),
        max_seconds=args.seconds * 1.5,
    )
    print("  preparing half-signed-in sessions for (e) ...", flush=True)
    prepared: queue.Queue[Pending] = queue.Queue()
    prep = run_phase(
        name="prep",
        what="",
        base_url=base_url,
        threads=args.concurrency,
        max_ops=len(pool_e),
        max_seconds=120,
        operation=pending_prepare(pool_e, prepared),
        local_addresses=loopback_addresses(args.concurrency),
    )
    if prep.errors:
        print(f"    {prep.errors} preparation errors: {prep.error_samples}", flush=True)
    phase(
        "(e) code step alone",
        "code POST on a session past the password step",
        code_step(prepared),
        prepared.qsize(),
    )
    return results


# Report --------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def report(
    *,
    args: argparse.Namespace,
    facts: dict[str, str],
    phases: list[PhaseResult],
    micro: tuple,
) -> str:
    ours, default, rec = micro
    ncpu = os.cpu_count() or 1
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `make bench` (`bench/signin_bench.py`) on {facts['date']}.",
        "Re-run it to refresh this page; numbers from another machine are not comparable.",
        "",
        "## Machine and setup",
        "",
        *(f"- {key}: {value}" for key, value in facts.items() if key != "date"),
        "",
        "## Sign-in over HTTP",
        "",
        f"gunicorn, {args.workers} sync workers, {args.concurrency} client threads in one",
        "process on the same machine (closed loop: each thread sends its next request",
        f"when the previous one answered), at most {args.seconds:g} s"
        f" ({args.seconds * 1.5:g} s for (d)) and {args.requests} requests per scenario.",
        "Latency is per measured operation, queueing in gunicorn's backlog included.",
        "App CPU is the user + system CPU time of the gunicorn workers during the",
        "scenario divided by the operations counted (PostgreSQL's own CPU is not in it;",
        "for (c) and (d) the unmeasured GET of the form is). It is the figure least",
        "disturbed by other load on the machine; compare the load averages above.",
        "Throughput is measured operations per wall-clock second; for (c) and (d) the",
        "wall clock also includes the unmeasured GET of the form.",
        "",
        "| scenario | what is measured | count | per second | p50 ms | p95 ms | p99 ms"
        " | app CPU ms/op | errors |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for p in phases:
        lines.append(
            f"| {p.name} | {p.what} | {p.count} | {p.rate:.1f} | {p.percentile(50):.1f} "
            f"| {p.percentile(95):.1f} | {p.percentile(99):.1f} | {p.cpu_ms_per_op:.1f}"
            f" | {p.errors} |"
        )
    lines += [
        "",
        "## Password hashing (in process, one calling thread)",
        "",
        "Per core = 1 / CPU time per verification (CPU time of every thread the",
        "library used, so p=8 is charged for all its lanes).",
        "",
        "| hasher | parameters | verifications/s, one caller | CPU ms per verification"
        " | verifications/s per core |",
        "|---|---|--:|--:|--:|",
    ]
    for h in (ours, default):
        lines.append(
            f"| {h.label} | {h.params} | {h.per_second_one_caller:.1f} "
            f"| {h.cpu_ms_per_verify:.1f} | {h.per_core:.1f} |"
        )
    lines += [
        "",
        "## Checking a wrong recovery code",
        "",
        "| check | time per wrong code |",
        "|---|--:|",
        f"| deskguard: HMAC-SHA256 + one indexed UPDATE (`recovery_code_use`, mean of"
        f" {rec.checks}) | {rec.wrong_code_ms:.3f} ms |",
        f"| of which the HMAC | {rec.hmac_us:.1f} µs |",
        f"| one slow hash per stored code: 10 deskguard Argon2 verifications"
        f" | {rec.ten_slow_hashes_ms:.0f} ms |",
        f"| the same with Django's default Argon2 parameters"
        f" | {rec.ten_default_hashes_ms:.0f} ms |",
        "",
        "## What the numbers say",
        "",
    ]
    by_key = {p.name.split(")")[0] + ")": p for p in phases}
    c, c2 = by_key["(c)"], by_key["(c2)"]
    ceiling = ncpu * ours.per_core
    lines += [
        f"- Argon2 bounds password sign-in: {ncpu} cores x {ours.per_core:.0f}/s per core ="
        f" about {ceiling:.0f} verifications/s for the whole machine. Password sign-in"
        f" reached {c.rate:.0f}/s from one client address and {c2.rate:.0f}/s with one"
        " address per client thread.",
        f"- By CPU cost, a password sign-in takes {c2.cpu_ms_per_op:.0f} ms of worker CPU"
        f" (form GET included), so {ncpu} otherwise idle cores could serve about"
        f" {ncpu * 1000 / c2.cpu_ms_per_op:.0f}/s; the two-step sign-in"
        f" {by_key['(d)'].cpu_ms_per_op:.0f} ms, the code step alone"
        f" {by_key['(e)'].cpu_ms_per_op:.0f} ms, /healthz {by_key['(a)'].cpu_ms_per_op:.1f} ms.",
        f"- (c) and (c2) differ only in the client address ({c.rate:.0f}/s vs"
        f" {c2.rate:.0f}/s). `signin_with_password` locks only the account's throttle"
        " row while Argon2 runs and counts the per-address failures with an atomic UPDATE,"
        " so sign-ins from one address (a NAT, or every user behind a proxy when"
        " DESKGUARD_TRUSTED_PROXY_COUNT is 0) are not serialized behind each other.",
        f"- Django's default Argon2 parameters would allow about"
        f" {ncpu * default.per_core:.0f} verifications/s on this machine"
        f" ({ours.per_core / default.per_core:.1f}x fewer than deskguard's).",
        f"- A wrong recovery code costs {rec.wrong_code_ms:.2f} ms, about"
        f" {rec.ten_slow_hashes_ms / rec.wrong_code_ms:.0f}x less than 10 slow hashes would.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="deskguard-bench-"))
    env = {
        "DESKGUARD_ENV": "local",
        "DESKGUARD_VAR_DIR": str(workdir / "var"),  # bench-only secrets and mail
        "LOG_LEVEL": "WARNING",
    }
    if args.sqlite:
        env["SQLITE_PATH"] = str(workdir / "bench.sqlite3")
        os.environ.pop("DATABASE_URL", None)
    else:
        env["DATABASE_URL"] = args.database_url
        print(f"recreating {args.database_url} ...", flush=True)
        database_recreate(args.database_url)
    django_setup(env)

    from django.core.management import call_command
    from django.db import connections

    print("migrating and creating accounts ...", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    plain, pool_d, pool_e = accounts_create(
        plain=args.concurrency, twofactor=args.twofactor_accounts
    )
    print(f"  {len(plain) + len(pool_d) + len(pool_e)} accounts in"
          f" {time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip

    print("micro-benchmarks (server not running) ...", flush=True)
    import micro as micro_bench

    from deskguard.accounts.models import User

    probe = User.objects.get(email=pool_e[-1].email)
    micro = micro_bench.run(user=probe, seconds=3.0)
    for h in micro[:2]:
        print(f"  {h.label}: {h.per_second_one_caller:.1f}/s one caller, "
              f"{h.per_core:.1f}/s per core", flush=True)  # fmt: skip
    print(f"  wrong recovery code: {micro[2].wrong_code_ms:.3f} ms", flush=True)

    import django
    import gunicorn

    facts = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "CPU": f"{os.cpu_count()} cores (nproc), {cpu_model()}",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "gunicorn": f"{gunicorn.__version__}, {args.workers} sync workers",
        "database": database_version(),
        "client": f"httpx, {args.concurrency} threads, loopback only",
        "accounts": f"{len(plain)} without 2FA (one per thread), {len(pool_d)} + {len(pool_e)}"
        " with TOTP (each signs in once)",
    }
    connections.close_all()
    load_start = os.getloadavg()

    print(f"starting gunicorn ({args.workers} workers) ...", flush=True)
    process, base_url = server_start(env, workers=args.workers, log=workdir / "gunicorn.log")
    try:
        phases = load_run(args, base_url, process.pid, plain, pool_d, pool_e)
    finally:
        server_stop(process)

    load_end = os.getloadavg()
    facts["load average"] = (
        f"{load_start[0]:.2f} before the HTTP scenarios, {load_end[0]:.2f} after (1 min;"
        f" above {os.cpu_count()} means other work competed for the CPUs)"
    )
    text = report(args=args, facts=facts, phases=phases, micro=micro)
    Path(args.output).write_text(text)
    print()
    print(text)
    print(f"written to {args.output}")
    errors = sum(p.errors for p in phases)
    if errors:
        raise SystemExit(f"{errors} errors: the numbers above are not valid")


if __name__ == "__main__":
    main()
