"""Sign-in load benchmark, today's code against the change, in one run: `make bench`
(`.venv/bin/python bench/signin_bench.py`, see --help).

Two versions are served side by side: the baseline (a git ref, checked out with
`git worktree add --detach` into a temporary directory) and the working tree. Each
runs its own gunicorn from its own directory with this same Python, on its own
freshly created database (SQLite files in a temporary directory; PostgreSQL
databases named deskguard_bench_<version>_<random>, created and dropped here),
migrated and filled with benchmark accounts by its own code (bench_prepare.py).
Both are served through bench_wsgi.py, which counts SQL statements, writes,
transactions and the time spent beginning them, per request, without touching the
application's code.

Per database, rounds alternate between the two versions (ABBA order) so that other
load on the machine hits both alike; each round drives one version with 10 client
threads: GET /healthz (the same-run baseline of the framework), the password POST of
accounts with 2FA (ends at the code step), then the code POST of the sessions that
password step left (a valid TOTP code; each account signs in once, so no code is a
replay). Requests/s is the median of the rounds. The in-process Argon2 and
recovery-code micro-benchmarks (micro.py) run once, on the change's code. Writes
docs/benchmarks.md."""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import secrets
import shutil
import signal
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pyotp
from gitrefs import ROOT, commit_label, git, worktree
from loadgen import BenchError, Operation, PhaseResult, expect_redirect, run_phase

BENCH = ROOT / "bench"
DEFAULT_BASELINE_REF = "a2a5985"  # the last commit before the sign-in speed work
DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PASSWORD = "bench password, not a secret"
SIGNIN, VERIFY, HOME = "/agent/signin/", "/agent/signin/verify/", "/agent/"
CSRF_COOKIE = "dgcsrf"  # local mode (both versions): no __Host- prefix over plain http
VERSIONS = ("baseline", "change")
DATABASES = ("sqlite", "postgresql")
SCENARIOS = ("healthz", "password", "code")
SCENARIO_TITLES = {
    "healthz": "GET /healthz (same-run baseline)",
    "password": "password POST, account with 2FA",
    "code": "code POST, valid TOTP code",
}
# What a successful request of each scenario is, as the server saw it.
SUCCESS = {
    "healthz": ("GET", "/healthz", 200),
    "password": ("POST", SIGNIN, 302),
    "code": ("POST", VERIFY, 302),
}
# The change's targets (requests/s, change / baseline, same run).
TARGETS = {("sqlite", "password"): 2.0, ("sqlite", "code"): 1.5, ("postgresql", "code"): 1.3}
BEGIN_WAIT_TARGET = 0.10  # share of the SQLite password POST's time spent beginning a transaction
WARMUP_ACCOUNTS = 10


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--baseline-ref", default=DEFAULT_BASELINE_REF, help="git ref of today's code"
    )
    parser.add_argument(
        "--databases",
        default=",".join(DATABASES),
        help="comma-separated, from: sqlite, postgresql",
    )
    parser.add_argument(
        "--admin-url",
        default=DEFAULT_ADMIN_URL,
        help="PostgreSQL server (and a database to connect to) where the bench creates"
        " and drops its deskguard_bench_* databases",
    )
    parser.add_argument("--workers", type=int, default=5, help="gunicorn sync workers")
    parser.add_argument("--concurrency", type=int, default=10, help="client threads")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per version and database")
    parser.add_argument(
        "--password-requests",
        type=int,
        default=300,
        help="password POSTs per round at most (each uses a fresh account)",
    )
    parser.add_argument("--password-seconds", type=float, default=8.0, help="per round at most")
    parser.add_argument("--healthz-requests", type=int, default=1500, help="per round at most")
    parser.add_argument("--healthz-seconds", type=float, default=2.0, help="per round at most")
    parser.add_argument(
        "--addresses",
        choices=("one", "per-thread"),
        default="one",
        help="client address of the password and code POSTs: all threads from"
        " 127.0.0.1 (one client group, as behind a NAT), or each from its own 127.0.0.x",
    )
    parser.add_argument(
        "--micro-seconds", type=float, default=3.0, help="per hasher in the micro-benchmark"
    )
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument(
        "--keep-temp", action="store_true", help="keep the temporary directory (logs, stats)"
    )
    args = parser.parse_args()
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = set(args.databases) - set(DATABASES)
    if unknown or not args.databases:
        parser.error(f"--databases: unknown {sorted(unknown)}; choose from {DATABASES}")
    if args.rounds < 1 or args.password_requests < 1:
        parser.error("--rounds and --password-requests must be at least 1")
    return args


_STARTED = time.monotonic()


def log(text: str) -> None:
    """A progress line, with the minutes and seconds since the start."""
    minutes, seconds = divmod(int(time.monotonic() - _STARTED), 60)
    print(f"[{minutes:2d}:{seconds:02d}] {text}", flush=True)


# Versions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    name: str  # "baseline" or "change"
    directory: Path
    label: str  # commit and subject, for the report


@contextmanager
def baseline_checkout(ref: str, parent: Path) -> Iterator[Version]:
    label = commit_label(ref)
    with worktree(ref, parent / "baseline") as directory:
        yield Version("baseline", directory, label)


def change_version() -> Version:
    label = commit_label("HEAD")
    if git("status", "--porcelain", "--untracked-files=no"):
        label += ", with uncommitted changes"
    return Version("change", ROOT, f"working tree at {label}")


# Databases ------------------------------------------------------------------------


def pg_url(admin_url: str, name: str) -> str:
    return urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))


def pg_execute(admin_url: str, statement: str) -> None:
    import psycopg

    parts = urlsplit(admin_url)
    with psycopg.connect(urlunsplit(parts._replace(scheme="postgresql")), autocommit=True) as conn:
        conn.execute(statement)


@dataclass
class Target:
    """One version on one database: its directories, database and server."""

    version: Version
    database: str  # "sqlite" or "postgresql"
    workdir: Path
    pg_name: str | None = None
    process: subprocess.Popen[bytes] | None = None
    base_url: str = ""
    prepared: dict[str, Any] = field(default_factory=dict)
    server_info: dict[str, Any] = field(default_factory=dict)

    @property
    def stats_dir(self) -> Path:
        return self.workdir / "stats"

    def env(self, admin_url: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "SQLITE_PATH", "PYTHONPATH", "DJANGO_SETTINGS_MODULE"}
        }
        env.update(
            {
                "DESKGUARD_ENV": "local",
                "DEBUG": "false",
                "DESKGUARD_VAR_DIR": str(self.workdir / "var"),  # bench-only secrets and mail
                "LOG_LEVEL": "WARNING",
                "DJANGO_SETTINGS_MODULE": "deskguard.settings",
                # The version's directory first: `deskguard` is imported from there, not
                # from the editable install; then bench/ for bench_wsgi and micro.
                "PYTHONPATH": os.pathsep.join([str(self.version.directory), str(BENCH)]),
                "BENCH_STATS_DIR": str(self.stats_dir),
            }
        )
        if self.database == "sqlite":
            env["SQLITE_PATH"] = str(self.workdir / "bench.sqlite3")
        else:
            assert self.pg_name is not None
            env["DATABASE_URL"] = pg_url(admin_url, self.pg_name)
        return env


def check_imported_from(target: Target, path: str, where: str) -> None:
    expected = (target.version.directory / "deskguard").resolve()
    if Path(path).resolve().parent != expected:
        raise SystemExit(
            f"{target.version.name} {where} imported deskguard from {path}, not {expected}"
        )


def database_create(target: Target, args: argparse.Namespace) -> None:
    target.workdir.mkdir(parents=True)
    if target.database == "postgresql":
        target.pg_name = f"deskguard_bench_{target.version.name}_{secrets.token_hex(4)}"
        pg_execute(args.admin_url, f'CREATE DATABASE "{target.pg_name}"')


def database_drop(target: Target, args: argparse.Namespace) -> None:
    if target.pg_name is not None:
        try:
            pg_execute(args.admin_url, f'DROP DATABASE IF EXISTS "{target.pg_name}" WITH (FORCE)')
        except Exception as exc:
            print(f"could not drop {target.pg_name}: {exc}", file=sys.stderr, flush=True)


def prepare_command(
    target: Target, args: argparse.Namespace, *command: str
) -> subprocess.Popen[str]:
    """bench_prepare.py with the target's code and database."""
    return subprocess.Popen(
        [sys.executable, str(BENCH / "bench_prepare.py"), *command],
        cwd=target.version.directory,
        env=target.env(args.admin_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def prepare_result(target: Target, process: subprocess.Popen[str], what: str) -> dict[str, Any]:
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise SystemExit(
            f"{what} for {target.version.name} on {target.database} failed:\n"
            f"{stdout[-3000:]}\n{stderr[-3000:]}"
        )
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    check_imported_from(target, result["deskguard"], "bench_prepare.py")
    return result


def databases_prepare(targets: list[Target], args: argparse.Namespace, spec: Path) -> None:
    """Migrate and create the accounts, each version with its own code, side by side
    (nothing is measured meanwhile)."""
    running = [(t, prepare_command(t, args, "setup", str(spec))) for t in targets]
    for target, process in running:
        target.prepared = prepare_result(target, process, "preparing the database")


def micro_run(target: Target, args: argparse.Namespace, email: str) -> dict[str, Any]:
    process = prepare_command(target, args, "micro", email, "--seconds", str(args.micro_seconds))
    return dict(prepare_result(target, process, "the micro-benchmarks")["micro"])


# Server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_start(target: Target, args: argparse.Namespace) -> None:
    port = free_port()
    log = target.workdir / "gunicorn.log"
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn), "bench_wsgi:application", "--workers", str(args.workers)]
    command += ["--bind", f"127.0.0.1:{port}", "--error-logfile", str(log)]
    with log.open("ab") as output:  # warnings on stderr land in the log too
        target.process = subprocess.Popen(
            command,
            cwd=target.version.directory,
            env=target.env(args.admin_url),
            stdout=output,
            stderr=output,
        )
    target.base_url = f"http://127.0.0.1:{port}"


def server_wait(target: Target, args: argparse.Namespace) -> None:
    """Until /healthz answers and every worker said which deskguard it imported."""
    assert target.process is not None
    log = target.workdir / "gunicorn.log"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if target.process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {target.process.returncode}; see {log}")
        try:
            status = httpx.get(f"{target.base_url}/healthz", timeout=2, verify=False).status_code
        except httpx.HTTPError:
            status = 0
        if status == 200:
            break
        if status >= 500:
            server_stop(target)
            raise SystemExit(f"gunicorn answered /healthz with HTTP {status}; see {log}")
        time.sleep(0.2)
    else:
        raise SystemExit(f"gunicorn did not answer /healthz within 60 s; see {log}")
    # Every worker says which deskguard it imported (bench_wsgi.py, at its start).
    while len(infos := sorted(target.stats_dir.glob("info-*.json"))) < args.workers:
        if time.monotonic() > deadline:
            started = f"{len(infos)} of {args.workers} workers started"
            raise SystemExit(f"{target.version.name}: only {started}; see {log}")
        time.sleep(0.2)
    for info in infos:
        target.server_info = json.loads(info.read_text())
        check_imported_from(target, target.server_info["deskguard"], f"gunicorn {info.stem}")


def server_stop(target: Target) -> None:
    process_stop(target.process)


def process_stop(process: subprocess.Popen | None) -> None:
    """SIGTERM (gunicorn finishes its requests), then SIGKILL after 20 s."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# Scenarios --------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    email: str
    secret: str


@dataclass(frozen=True)
class Pending:
    """A session past the password step: its cookies (CSRF, and the pending marker:
    a session for the baseline, a signed cookie for the change)."""

    account: Account
    cookies: list[tuple[str, str]]


def csrf_value() -> str:
    # Django accepts a client's CSRF cookie of 32 letters and digits, with the same
    # value as the form's token: the POSTs need no GET of the form before them.
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))


def healthz() -> Operation:
    def operation(client: httpx.Client, index: int, thread: int) -> float:
        start = time.perf_counter()
        response = client.get("/healthz")
        seconds = time.perf_counter() - start
        if response.status_code != 200 or '"ok"' not in response.text:
            raise BenchError(f"GET /healthz: HTTP {response.status_code}")
        return seconds

    return operation


def password_step(accounts: list[Account], done: queue.Queue[Pending], csrf: str) -> Operation:
    """The password POST of an account with 2FA, answered by a redirect to the code step."""

    def operation(client: httpx.Client, index: int, thread: int) -> float:
        account = accounts[index]
        client.cookies.clear()
        client.cookies.set(CSRF_COOKIE, csrf)
        data = {"csrfmiddlewaretoken": csrf, "email": account.email, "password": PASSWORD}
        start = time.perf_counter()
        response = client.post(SIGNIN, data=data)
        seconds = time.perf_counter() - start
        expect_redirect(response, VERIFY, "password POST")
        done.put(Pending(account, [(c.name, c.value or "") for c in client.cookies.jar]))
        return seconds

    return operation


def code_step(pending: list[Pending], csrf: str) -> Operation:
    """The code POST of a session past the password step, with the current TOTP code."""

    def operation(client: httpx.Client, index: int, thread: int) -> float:
        item = pending[index]
        client.cookies.clear()
        for name, value in item.cookies:
            client.cookies.set(name, value)
        data = {"csrfmiddlewaretoken": csrf, "code": pyotp.TOTP(item.account.secret).now()}
        start = time.perf_counter()
        response = client.post(VERIFY, data=data)
        seconds = time.perf_counter() - start
        expect_redirect(response, HOME, "code POST")
        return seconds

    return operation


@dataclass
class Round:
    """One scenario of one round on one version."""

    result: PhaseResult
    round: int


Results = dict[tuple[str, str, str], list[Round]]  # (database, version, scenario) -> rounds


def drive(
    target: Target,
    args: argparse.Namespace,
    accounts: list[Account],
    *,
    tag: str,
    healthz_requests: int,
    healthz_seconds: float,
    password_seconds: float,
) -> dict[str, PhaseResult]:
    """Run the three scenarios once on `target`; `accounts` are fresh accounts for
    the password step (its sessions then go through the code step)."""
    assert target.process is not None
    addresses = (
        [f"127.0.0.{n + 2}" for n in range(args.concurrency)]
        if args.addresses == "per-thread"
        else None
    )

    def phase(scenario: str, operation: Operation, max_ops: int, max_seconds: float) -> PhaseResult:
        assert target.process is not None
        return run_phase(
            name=scenario,
            what=SCENARIO_TITLES[scenario],
            base_url=target.base_url,
            threads=args.concurrency,
            max_ops=max_ops,
            max_seconds=max_seconds,
            operation=operation,
            local_addresses=addresses if scenario != "healthz" else None,
            server_pid=target.process.pid,
            headers={"X-Bench-Phase": f"{scenario}/{tag}"},
        )

    csrf = csrf_value()
    results = {"healthz": phase("healthz", healthz(), healthz_requests, healthz_seconds)}
    done: queue.Queue[Pending] = queue.Queue()
    results["password"] = phase(
        "password", password_step(accounts, done, csrf), len(accounts), password_seconds
    )
    pending = [done.get_nowait() for _ in range(done.qsize())]
    # The pending marker lives 5 minutes; the code step follows at once. Its time limit
    # only guards against a stuck server.
    results["code"] = phase("code", code_step(pending, csrf), len(pending), 60.0)
    return results


def say(result: PhaseResult, who: str) -> None:
    log(
        f"    {who:8} {result.name:8} {result.count:5} in {result.elapsed:5.1f} s"
        f" {result.rate:7.1f}/s  p50 {result.percentile(50):6.1f} ms"
        f"  p95 {result.percentile(95):6.1f} ms  CPU {result.cpu_ms_per_op:5.1f} ms/req"
        f"  errors {result.errors}"
    )
    for sample in result.error_samples:
        print(f"      error: {sample}", flush=True)


def accounts_for(database: str, count: int) -> list[Account]:
    return [
        Account(f"bench-2fa-{database}-{i}@example.com", pyotp.random_base32(length=32))
        for i in range(count)
    ]


@dataclass
class DatabaseRun:
    database: str
    targets: dict[str, Target]
    results: Results
    stats: dict[str, list[dict[str, Any]]]  # version -> per-request records
    load_before: float
    load_after: float
    seconds: float
    micro: dict[str, Any] | None


def database_run(
    database: str, versions: list[Version], args: argparse.Namespace, tmp: Path, micro: bool
) -> DatabaseRun:
    started = time.perf_counter()
    per_round = args.password_requests
    accounts = accounts_for(database, WARMUP_ACCOUNTS + args.rounds * per_round)
    probe = Account(f"bench-probe-{database}@example.com", pyotp.random_base32(length=32))
    spec = tmp / f"accounts-{database}.json"
    spec.write_text(
        json.dumps(
            {"password": PASSWORD, "twofactor": [[a.email, a.secret] for a in [*accounts, probe]]}
        )
    )
    targets = {v.name: Target(v, database, tmp / f"{v.name}-{database}") for v in versions}
    results: Results = defaultdict(list)
    micro_results: dict[str, Any] | None = None
    try:
        for target in targets.values():
            database_create(target, args)
        log(
            f"  migrating and creating {len(accounts) + 1} accounts, each version with its"
            f" own code ({', '.join(t.pg_name or 'SQLite' for t in targets.values())}) ..."
        )
        databases_prepare(list(targets.values()), args, spec)
        for target in targets.values():
            p = target.prepared
            log(
                f"    {target.version.name}: {p['database']}; migrate {p['migrate_s']:.1f} s,"
                f" accounts {p['accounts_s']:.1f} s; deskguard from {p['deskguard']}"
            )
        if micro:
            log("  micro-benchmarks, the change's code (no server running) ...")
            micro_results = micro_run(targets["change"], args, probe.email)
        for target in targets.values():
            server_start(target, args)
        for target in targets.values():
            server_wait(target, args)
            log(f"  {target.version.name}: gunicorn at {target.base_url}")
        for name, target in targets.items():
            log(f"  {name}: warm-up (not counted)")
            warmup = drive(
                target,
                args,
                accounts[:WARMUP_ACCOUNTS],
                tag="warmup",
                healthz_requests=200,
                healthz_seconds=2.0,
                password_seconds=30.0,
            )
            for result in warmup.values():
                if result.errors:  # a broken setup shows here first
                    say(result, name)
        load_before = os.getloadavg()[0]
        for r in range(args.rounds):
            first = WARMUP_ACCOUNTS + r * per_round
            chunk = accounts[first : first + per_round]
            # ABBA: baseline, change, change, baseline, ... so a drift in the machine's
            # load favours neither.
            order = list(VERSIONS) if r % 2 == 0 else list(reversed(VERSIONS))
            log(f"  round {r + 1}/{args.rounds}")
            for name in order:
                phases = drive(
                    targets[name],
                    args,
                    chunk,
                    tag=str(r),
                    healthz_requests=args.healthz_requests,
                    healthz_seconds=args.healthz_seconds,
                    password_seconds=args.password_seconds,
                )
                for scenario, result in phases.items():
                    say(result, name)
                    results[(database, name, scenario)].append(Round(result, r))
        load_after = os.getloadavg()[0]
    finally:
        for target in targets.values():
            server_stop(target)
        for target in targets.values():
            database_drop(target, args)
    stats = {name: stats_read(target.stats_dir) for name, target in targets.items()}
    seconds = time.perf_counter() - started
    return DatabaseRun(
        database, targets, results, stats, load_before, load_after, seconds, micro_results
    )


def stats_read(directory: Path) -> list[dict[str, Any]]:
    records = []
    for path in sorted(directory.glob("stats-*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                records.append(json.loads(line))
    return records


# Summaries ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    rate: float  # median of the rounds' requests/s
    rates: list[float]
    p50: float
    p95: float
    cpu_ms: float  # worker CPU per request, all rounds
    count: int
    errors: int


def summarize(rounds: list[Round]) -> Summary:
    pooled = PhaseResult(name="", what="")
    for r in rounds:
        pooled.latencies.extend(r.result.latencies)
        pooled.server_cpu += r.result.server_cpu
        pooled.errors += r.result.errors
    rates = [r.result.rate for r in rounds]
    return Summary(
        rate=statistics.median(rates),
        rates=rates,
        p50=pooled.percentile(50),
        p95=pooled.percentile(95),
        cpu_ms=pooled.cpu_ms_per_op,
        count=pooled.count,
        errors=pooled.errors,
    )


SQL_FIELDS = ("q", "reads", "writes", "begins", "commits", "autocommit_writes", "rollbacks")


@dataclass(frozen=True)
class RequestStats:
    count: int
    means: dict[str, float]
    ranges: dict[str, tuple[int, int]]
    wall_ms: float  # mean time of the request in the application
    begin_share: float  # of the application's wall time: BEGIN statements
    autocommit_write_share: float  # writes outside a transaction (upper bound of their wait)
    commit_share: float
    sql_share: float


def request_stats(records: list[dict[str, Any]], scenario: str) -> RequestStats | None:
    """The measured rounds' successful requests of `scenario` (warm-up left out)."""
    method, path, status = SUCCESS[scenario]
    chosen = [
        r
        for r in records
        if r["tag"].startswith(f"{scenario}/")
        and r["tag"] != f"{scenario}/warmup"
        and (r["method"], r["path"], r["status"]) == (method, path, status)
    ]
    if not chosen:
        return None
    wall = sum(r["wall_s"] for r in chosen)
    return RequestStats(
        count=len(chosen),
        means={f: sum(r[f] for r in chosen) / len(chosen) for f in SQL_FIELDS},
        ranges={f: (min(r[f] for r in chosen), max(r[f] for r in chosen)) for f in SQL_FIELDS},
        wall_ms=wall / len(chosen) * 1000,
        begin_share=sum(r["begin_s"] for r in chosen) / wall,
        autocommit_write_share=sum(r["autocommit_write_s"] for r in chosen) / wall,
        commit_share=sum(r["commit_s"] for r in chosen) / wall,
        sql_share=sum(r["sql_s"] for r in chosen) / wall,
    )


# Report -----------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def div(a: float, b: float) -> float:
    return a / b if b else float("nan")


def fmt_count(mean: float, low: int, high: int) -> str:
    text = f"{mean:.0f}" if abs(mean - round(mean)) < 0.005 else f"{mean:.2f}"
    return text if low == high else f"{text} ({low}-{high})"


def report(
    *,
    args: argparse.Namespace,
    facts: dict[str, str],
    runs: list[DatabaseRun],
    micro: dict[str, Any] | None,
    micro_database: str,
) -> str:
    ncpu = os.cpu_count() or 1
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `make bench` (`bench/signin_bench.py`) on {facts.pop('date')}, in"
        f" {facts.pop('duration')}. Re-run it to refresh this page; numbers from another"
        " machine, or from a busy one, are not comparable.",
        "",
        "## Machine and setup",
        "",
        *(f"- {key}: {value}" for key, value in facts.items()),
        "",
        "## How it is measured",
        "",
        "Both versions run in the same run on the same machine: the baseline (today's",
        "code, checked out from git into a temporary worktree) and the change (the working",
        f"tree). Each has its own gunicorn ({args.workers} sync workers) started from its own",
        "directory with the same Python, and its own fresh database, migrated and filled",
        f"with accounts by its own code. The client is one process with {args.concurrency} threads",
        "(closed loop: each thread sends its next request when the previous one answered).",
        "",
        f"Per database, {args.rounds} rounds alternate between the versions in ABBA order",
        "(baseline, change, change, baseline, ...); a round runs, on one version:",
        "",
        f"- GET /healthz: at most {args.healthz_requests} requests or"
        f" {args.healthz_seconds:g} s: framework and a database round trip, the same-run",
        "  reference for the machine (what each version's endpoint runs is in the SQL table);",
        "- the password POST of accounts with 2FA, each account once, answered by the",
        f"  redirect to the code step: at most {args.password_requests} or"
        f" {args.password_seconds:g} s;",
        "- the code POST (a valid TOTP code) of every session the password step just left,",
        "  answered by the redirect home (each account signs in once: no code is a replay).",
        "",
        "The CSRF cookie is set by the client (Django accepts any well-formed one) so the POSTs",
        "need no GET of the form before them. Every password POST is its account's first",
        "sign-in (in both versions, its limit row is created then).",
        (
            "All client threads come from 127.0.0.1 (one client address, as behind a NAT)."
            if args.addresses == "one"
            else "Each client thread comes from its own 127.0.0.x address."
        ),
        "",
        "Requests/s is the median of the rounds' rates (their range in brackets); latency",
        "percentiles pool every round's requests (client side, queueing in gunicorn's",
        "backlog included); worker CPU is the user + system CPU time of the gunicorn",
        "workers (from /proc/<pid>/stat, before and after each scenario) divided by its",
        "requests, over all rounds: the cost least disturbed by other load on the",
        "machine. PostgreSQL's own CPU is not in it. A warm-up of each server is not",
        "counted.",
        "",
    ]

    for run in runs:
        title = "SQLite" if run.database == "sqlite" else "PostgreSQL"
        lines += [
            f"## {title}",
            "",
            f"{run.targets['change'].prepared.get('database', '')} (change);"
            f" {run.targets['baseline'].prepared.get('database', '')} (baseline).",
            f"Load average (1 min) {run.load_before:.2f} before the rounds,"
            f" {run.load_after:.2f} after (above {ncpu} means other work competed for the"
            " CPUs).",
            "",
            "| scenario | version | requests/s (rounds) | p50 ms | p95 ms | worker CPU ms/request"
            " | requests | errors |",
            "|---|---|--:|--:|--:|--:|--:|--:|",
        ]
        for scenario in SCENARIOS:
            for version in VERSIONS:
                s = summarize(run.results[(run.database, version, scenario)])
                spread = f"{min(s.rates):.0f}-{max(s.rates):.0f}"
                lines.append(
                    f"| {SCENARIO_TITLES[scenario]} | {version} | {s.rate:.1f} ({spread})"
                    f" | {s.p50:.1f} | {s.p95:.1f} | {s.cpu_ms:.1f} | {s.count} | {s.errors} |"
                )
        lines.append("")

    lines += [
        "## Change against baseline",
        "",
        "Requests/s of the change divided by the baseline's (medians of the same run).",
        "",
        "| database | scenario | baseline /s | change /s | change / baseline | target | met |",
        "|---|---|--:|--:|--:|--:|---|",
    ]
    for run in runs:
        for scenario in SCENARIOS:
            base = summarize(run.results[(run.database, "baseline", scenario)])
            new = summarize(run.results[(run.database, "change", scenario)])
            ratio = div(new.rate, base.rate)
            goal = TARGETS.get((run.database, scenario))
            lines.append(
                f"| {run.database} | {SCENARIO_TITLES[scenario]} | {base.rate:.1f} |"
                f" {new.rate:.1f} | {ratio:.2f}x | {f'{goal:g}x' if goal else '-'} |"
                f" {('yes' if ratio >= goal else '**no**') if goal else '-'} |"
            )
    lines.append("")

    sqlite_run = next((r for r in runs if r.database == "sqlite"), None)
    if sqlite_run is not None:
        lines += [
            "## Waiting to begin a transaction (SQLite, password POST)",
            "",
            "Measured inside the servers by bench/bench_wsgi.py, over the successful password",
            "POSTs of the measured rounds, as a share of their wall time in the application",
            "(middleware, view, response close). SQLite has one writer at a time, and both",
            "versions open write transactions with `BEGIN IMMEDIATE`, which returns once this",
            "connection holds the write lock: the time in it is the wait to begin a write",
            "transaction (column BEGIN). A write outside a transaction takes the lock within",
            "the statement; counting its whole time as waiting gives an upper bound (second",
            "column). COMMIT and all SQL statements are shown for context. Target for the",
            f"change: less than {BEGIN_WAIT_TARGET:.0%}.",
            "",
            "| version | wall ms/request | BEGIN | BEGIN + writes outside a transaction"
            " | COMMIT | all SQL | target met (BEGIN / upper bound) |",
            "|---|--:|--:|--:|--:|--:|---|",
        ]
        for version in VERSIONS:
            st = request_stats(sqlite_run.stats[version], "password")
            if st is None:
                lines.append(f"| {version} | - | - | - | - | - | - |")
                continue
            bound = st.begin_share + st.autocommit_write_share
            target = "-"
            if version == "change":
                target = " / ".join(
                    "yes" if share < BEGIN_WAIT_TARGET else "**no**"
                    for share in (st.begin_share, bound)
                )
            lines.append(
                f"| {version} | {st.wall_ms:.1f} | {st.begin_share:.1%} | {bound:.1%} |"
                f" {st.commit_share:.1%} | {st.sql_share:.1%} | {target} |"
            )
        lines.append("")

    lines += [
        "## SQL per request",
        "",
        "Counted inside the servers (a Django execute wrapper, and the backend's commit,",
        "rollback and autocommit switches, installed by bench/bench_wsgi.py), mean per",
        "successful request of the measured rounds (range in brackets when requests",
        "differed). Statements exclude transaction control (BEGIN, SAVEPOINT, RELEASE,",
        "COMMIT, ROLLBACK). Transactions are outermost atomic blocks (BEGIN); commits are",
        "COMMITs sent plus writes run outside a transaction (each commits by itself), so",
        "on SQLite, the times a write lock was taken and released.",
        "",
        "| database | request | version | statements | reads | writes | transactions"
        " | commits | of which autocommit writes | rollbacks |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for run in runs:
        for scenario in ("password", "code", "healthz"):
            for version in VERSIONS:
                st = request_stats(run.stats[version], scenario)
                if st is None:
                    continue
                cells = {f: fmt_count(st.means[f], *st.ranges[f]) for f in SQL_FIELDS}
                total_commits = st.means["commits"] + st.means["autocommit_writes"]
                lo = st.ranges["commits"][0] + st.ranges["autocommit_writes"][0]
                hi = st.ranges["commits"][1] + st.ranges["autocommit_writes"][1]
                lines.append(
                    f"| {run.database} | {SCENARIO_TITLES[scenario]} | {version} | {cells['q']}"
                    f" | {cells['reads']} | {cells['writes']} | {cells['begins']}"
                    f" | {fmt_count(total_commits, lo, hi)} | {cells['autocommit_writes']}"
                    f" | {cells['rollbacks']} |"
                )
    lines.append("")

    if micro is not None:
        ours, default = micro["hashers"]
        rec = micro["recovery"]
        per_core = {h["label"]: 1000 / h["cpu_ms_per_verify"] for h in micro["hashers"]}
        lines += [
            "## Password hashing (in process, one calling thread, the change's code)",
            "",
            "Per core = 1 / CPU time per verification (CPU time of every thread the",
            "library used, so p=8 is charged for all its lanes).",
            "",
            "| hasher | parameters | verifications/s, one caller | CPU ms per verification |"
            " verifications/s per core |",
            "|---|---|--:|--:|--:|",
        ]
        for h in (ours, default):
            lines.append(
                f"| {h['label']} | {h['params']} | {h['per_second_one_caller']:.1f} |"
                f" {h['cpu_ms_per_verify']:.1f} | {per_core[h['label']]:.1f} |"
            )
        lines += [
            "",
            f"## Checking a wrong recovery code (the change's code, {micro_database})",
            "",
            "| check | time per wrong code |",
            "|---|--:|",
            f"| deskguard: HMAC-SHA256 + one indexed UPDATE (`recovery_code_use`, mean of"
            f" {rec['checks']}) | {rec['wrong_code_ms']:.3f} ms |",
            f"| of which the HMAC | {rec['hmac_us']:.1f} µs |",
            f"| one slow hash per stored code: 10 deskguard Argon2 verifications"
            f" | {rec['ten_slow_hashes_ms']:.0f} ms |",
            f"| the same with Django's default Argon2 parameters"
            f" | {rec['ten_default_hashes_ms']:.0f} ms |",
            "",
        ]

    lines += ["## What the numbers say", ""]
    if micro is not None:
        ours = micro["hashers"][0]
        ceiling = ncpu * 1000 / ours["cpu_ms_per_verify"]
        lines.append(
            f"- Argon2 bounds the password step: {ncpu} cores x"
            f" {1000 / ours['cpu_ms_per_verify']:.0f} verifications/s per core = about"
            f" {ceiling:.0f}/s for the whole machine, with nothing else running."
        )
    for run in runs:
        base = summarize(run.results[(run.database, "baseline", "password")])
        new = summarize(run.results[(run.database, "change", "password")])
        code_base = summarize(run.results[(run.database, "baseline", "code")])
        code_new = summarize(run.results[(run.database, "change", "code")])
        health_base = summarize(run.results[(run.database, "baseline", "healthz")])
        health_new = summarize(run.results[(run.database, "change", "healthz")])
        lines.append(
            f"- {run.database}: password POSTs {base.rate:.0f}/s -> {new.rate:.0f}/s"
            f" ({div(new.rate, base.rate):.2f}x), {base.cpu_ms:.0f} -> {new.cpu_ms:.0f} ms"
            f" of worker CPU each; code POSTs {code_base.rate:.0f}/s -> {code_new.rate:.0f}/s"
            f" ({div(code_new.rate, code_base.rate):.2f}x), {code_base.cpu_ms:.1f} ->"
            f" {code_new.cpu_ms:.1f} ms CPU each; /healthz {health_base.rate:.0f}/s and"
            f" {health_new.rate:.0f}/s."
        )
        if new.cpu_ms > 0 and base.cpu_ms > 0:
            lines.append(
                f"  By CPU cost alone, {ncpu} otherwise idle cores could serve about"
                f" {ncpu * 1000 / new.cpu_ms:.0f} password POSTs/s of the change"
                f" ({ncpu * 1000 / base.cpu_ms:.0f}/s of the baseline)."
            )
    if sqlite_run is not None:
        st_base = request_stats(sqlite_run.stats["baseline"], "password")
        st_new = request_stats(sqlite_run.stats["change"], "password")
        if st_base and st_new:
            lines.append(
                f"- On SQLite, a password POST spent {st_base.begin_share:.0%} of its time"
                f" waiting to begin a transaction with the baseline and {st_new.begin_share:.1%}"
                f" with the change ({st_new.begin_share + st_new.autocommit_write_share:.1%}"
                " counting writes outside a transaction in full)."
            )
    errors = sum(s.result.errors for run in runs for rounds in run.results.values() for s in rounds)
    if errors:
        lines.append(f"- **{errors} requests failed: the numbers above are not valid.**")
    return "\n".join(lines) + "\n"


def main() -> None:
    args = parse_args()
    # A SIGTERM (e.g. from a CI timeout) cleans up like Ctrl-C: servers, databases,
    # the baseline's worktree.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="deskguard-bench-"))
    log(f"temporary directory {tmp}")
    runs: list[DatabaseRun] = []
    try:
        with baseline_checkout(args.baseline_ref, tmp) as baseline:
            change = change_version()
            print(f"baseline: {baseline.label}\nchange:   {change.label}", flush=True)
            for index, database in enumerate(args.databases):
                log(f"{database}:")
                runs.append(database_run(database, [baseline, change], args, tmp, index == 0))
                log(f"{database}: done in {runs[-1].seconds:.0f} s")
    finally:
        if args.keep_temp:
            print(f"kept {tmp}", flush=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    import django
    import gunicorn

    facts = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "duration": f"{(time.perf_counter() - started) / 60:.1f} minutes",
        "CPU": f"{os.cpu_count()} cores (nproc), {cpu_model()}",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "gunicorn": f"{gunicorn.__version__}, {args.workers} sync workers per version",
        "baseline": f"{baseline.label} (`--baseline-ref {args.baseline_ref}`)",
        "change": change.label,
        "client": f"httpx, {args.concurrency} threads, loopback",
        "command": "`" + " ".join(["bench/signin_bench.py", *sys.argv[1:]]) + "`",
    }
    text = report(
        args=args,
        facts=facts,
        runs=runs,
        micro=runs[0].micro,
        micro_database=runs[0].targets["change"].prepared["database"],
    )
    Path(args.output).write_text(text)
    print()
    print(text)
    print(f"written to {args.output}")
    errors = sum(s.result.errors for run in runs for rounds in run.results.values() for s in rounds)
    if errors:
        raise SystemExit(f"{errors} errors: the numbers above are not valid")


if __name__ == "__main__":
    main()
