"""Scale benchmark (J1-J5): `make bench-scale` (PostgreSQL; SIZE=L adds the large size).

Seeds each size into its own schema of one PostgreSQL database with set-based SQL
(generate_series, a few minutes at M), serves each with gunicorn (2 workers) on
127.0.0.1, signs an administrator in through the real forms (password, then a TOTP
code) and measures every page over HTTP: medians of --repeats runs, interleaved
(page by page, size by size), so load on the machine hits every size alike. Then an
export of the whole log at the largest size goes through the task worker
(`manage.py db_worker`) while the progress page is polled; its row count is checked.
Writes docs/benchmarks-scale.md.

Sizes (accounts / audit events / tickets): S 1k / 10k / 5k, M 100k / 1M / 200k,
L 1M / 10M / 1M. 60% of accounts have an authenticator; 1% are agents.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import httpx
import psycopg
import pyotp
from loadgen import BenchError, csrf_token, expect_redirect
from signin_bench import cpu_model, free_port, process_stop

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/deskguard_scale_bench"
PASSWORD = "bench password, not a secret"
SIGNIN, VERIFY, HOME = "/agent/signin/", "/agent/signin/verify/", "/agent/"
SHARDS = 16


@dataclass(frozen=True)
class Size:
    name: str
    accounts: int
    events: int
    tickets: int


SIZES = {
    "S": Size("S", 1_000, 10_000, 5_000),
    "M": Size("M", 100_000, 1_000_000, 200_000),
    "L": Size("L", 1_000_000, 10_000_000, 1_000_000),
}
# Agents who sign in during the benchmark (one per sign-in: a code is single-use).
SIGNERS = 12


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--sizes", default=os.environ.get("SIZES", "S,M"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per size")
    parser.add_argument("--no-export", action="store_true", help="skip the export scenario")
    parser.add_argument("--reuse", action="store_true", help="keep already seeded schemas")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks-scale.md"))
    args = parser.parse_args()
    if os.environ.get("SIZE", "").upper() == "L" and "L" not in args.sizes:
        args.sizes += ",L"
    args.sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    return args


# Database --------------------------------------------------------------------------


def schema_url(url: str, schema: str) -> str:
    """The database URL with a search_path: each size lives in its own schema."""
    options = quote(f"-c search_path={schema},public")
    return f"{url}?options={options}"


def admin_connect(url: str) -> psycopg.Connection:
    parts = urlsplit(url)
    return psycopg.connect(urlunsplit(parts._replace(scheme="postgresql")), autocommit=True)


def database_prepare(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    server = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(server, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    with admin_connect(url) as conn:
        # In public, so every size's schema finds gin_trgm_ops on its search path.
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")


def seeded(url: str, schema: str) -> bool:
    with admin_connect(url) as conn:
        row = conn.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s"
            " AND table_name = 'bench_done'",
            [schema],
        ).fetchone()
    return row is not None


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )


@dataclass
class Secrets:
    fernet_key: str
    password_hash: str
    device_token: str
    signers: dict[str, str] = field(default_factory=dict)  # e-mail -> TOTP secret


def secrets_make(env: dict[str, str]) -> Secrets:
    """The admin's password hash (the production Argon2 hasher), and tokens under the
    servers' Fernet key, made in a Django process with the servers' settings."""
    code = (
        "import django, json, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE',"
        " 'deskguard.settings'); django.setup();"
        "from django.contrib.auth.hashers import make_password;"
        "from deskguard.crypto import secret_encrypt;"
        f"print(json.dumps([make_password({PASSWORD!r}), secret_encrypt('JBSWY3DPEHPK3PXP')]))"
    )
    import json

    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    password_hash, token = json.loads(out.strip().splitlines()[-1])
    return Secrets(env["TOTP_ENCRYPTION_KEYS"], password_hash, token)


def seed(url: str, schema: str, size: Size, secrets: Secrets) -> float:
    """Fill one schema with set-based SQL; returns the seconds it took."""
    from cryptography.fernet import Fernet

    fernet = Fernet(secrets.fernet_key.encode())
    agents = max(10, size.accounts // 100)
    contacts = size.accounts - agents
    started = time.perf_counter()
    # Second factors keep their indexes: the adoption trigger looks up each account's
    # factors by user_id as rows arrive (without the index, each insert scans the table).
    bulk_tables = ("accounts_user", "audit_auditevent", "tickets_ticket")
    with psycopg.connect(
        urlunsplit(urlsplit(url)._replace(scheme="postgresql")),
        options=f"-c search_path={schema},public",
        autocommit=True,
    ) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        step = time.perf_counter()
        # Building an index once over loaded rows is many times faster than keeping it
        # up to date row by row (the trigram indexes most of all): the migrations' own
        # index definitions are dropped here and created again after the load.
        indexes = conn.execute(
            """SELECT i.indexname, i.indexdef FROM pg_indexes i
               WHERE i.schemaname = %s AND i.tablename = ANY(%s)
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
            [schema, list(bulk_tables)],
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{schema}"."{name}"')

        def done(what: str) -> None:
            nonlocal step
            print(f"    {what}: {time.perf_counter() - step:.1f} s", flush=True)
            step = time.perf_counter()

        conn.execute(
            """INSERT INTO accounts_user (password, email, name, kind, is_admin, is_active,
                   date_joined, session_version)
               SELECT %s, 'admin@bench.example', 'Bench Admin', 'agent', true, true, now(), 0""",
            [secrets.password_hash],
        )
        conn.execute(
            """INSERT INTO accounts_user (password, email, name, kind, is_admin, is_active,
                   date_joined, session_version)
               SELECT %s, 'signer' || n || '@bench.example', '', 'agent', false, true, now(), 0
               FROM generate_series(1, %s) n""",
            [secrets.password_hash, SIGNERS],
        )
        conn.execute(
            """INSERT INTO accounts_user (password, email, name, kind, is_admin, is_active,
                   date_joined, session_version)
               SELECT '!', 'agent' || n || '@bench.example', 'Agent ' || n, 'agent', false,
                      true, now(), 0
               FROM generate_series(1, %s) n""",
            [agents],
        )
        conn.execute(
            """INSERT INTO accounts_user (password, email, name, kind, is_admin, is_active,
                   date_joined, session_version)
               SELECT '!', 'contact' || n || '@customer' || (n %% 97) || '.example',
                      'Contact ' || n, 'contact', false, n %% 50 <> 0, now(), 0
               FROM generate_series(1, %s) n""",
            [contacts],
        )
        done(f"{size.accounts} accounts")
        secrets.signers = {"admin@bench.example": pyotp.random_base32(32)} | {
            f"signer{n}@bench.example": pyotp.random_base32(32) for n in range(1, SIGNERS + 1)
        }
        with conn.cursor() as cursor:
            cursor.executemany(
                """INSERT INTO twofactor_secondfactor (user_id, kind, name, created_at,
                       secret_encrypted, last_step, sign_count, transports, aaguid, credential_id)
                   SELECT id, 'app', '', now(), %s, 0, 0, '[]', '', ''
                   FROM accounts_user WHERE email = %s""",
                [
                    (fernet.encrypt(secret.encode()).decode(), email)
                    for email, secret in secrets.signers.items()
                ],
            )
        conn.execute(
            """INSERT INTO twofactor_secondfactor (user_id, kind, name, created_at,
                   secret_encrypted, last_step, sign_count, transports, aaguid, credential_id)
               SELECT id, 'app', '', now(), %s, 0, 0, '[]', '', '' FROM accounts_user
               WHERE email NOT LIKE '%%@bench.example' AND id %% 10 < 6""",
            [secrets.device_token],
        )
        done("authenticators (60%)")
        conn.execute(
            """INSERT INTO audit_auditevent (event, at, actor_id, actor_label, subject_id,
                   subject_label, method, ip, user_agent, detail)
               SELECT (ARRAY['signin.succeeded','signin.failed','2fa.passed','2fa.failed',
                             'signout','password.changed'])[1 + n %% 6],
                      now() - (n || ' seconds')::interval, NULL, '',
                      NULL, 'contact' || (1 + n %% %s) || '@customer' || ((1 + n %% %s) %% 97)
                              || '.example',
                      'password+totp', ('198.51.100.' || (n %% 250))::inet, 'Mozilla/5.0 bench',
                      jsonb_build_object('n', n)
               FROM generate_series(1, %s) n""",
            [contacts, contacts, size.events],
        )
        done(f"{size.events} audit events")
        conn.execute(
            """INSERT INTO tickets_ticket (contact_id, subject, status, created_at, updated_at)
               SELECT c.first + n %% %s, 'Ticket ' || n,
                      (ARRAY['open','pending','closed'])[1 + n %% 3],
                      now() - (n || ' minutes')::interval, now() - (n || ' minutes')::interval
               FROM generate_series(1, %s) n,
                    (SELECT min(id) AS first FROM accounts_user WHERE kind = 'contact') c""",
            [contacts, size.tickets],
        )
        done(f"{size.tickets} tickets")
        for _, definition in indexes:
            conn.execute(definition)
        done(f"{len(indexes)} indexes built again")
        conn.execute("VACUUM ANALYZE")
        conn.execute("CREATE TABLE bench_done (secrets text)")
        import json

        conn.execute(
            "INSERT INTO bench_done VALUES (%s)",
            [json.dumps({"signers": secrets.signers})],
        )
        done("vacuum analyze")
    return time.perf_counter() - started


def signers_load(url: str, schema: str) -> dict[str, str]:
    import json

    with psycopg.connect(
        urlunsplit(urlsplit(url)._replace(scheme="postgresql")),
        options=f"-c search_path={schema},public",
    ) as conn:
        (raw,) = conn.execute("SELECT secrets FROM bench_done").fetchone()
    return dict(json.loads(raw)["signers"])


def targets(url: str, schema: str) -> dict[str, str]:
    """Cursors and values the pages need: the last page of each list, one e-mail."""
    sys.path.insert(0, str(ROOT))
    from deskguard.pagination import _encode

    with psycopg.connect(
        urlunsplit(urlsplit(url)._replace(scheme="postgresql")),
        options=f"-c search_path={schema},public",
    ) as conn:
        (email,) = conn.execute(
            "SELECT email FROM accounts_user WHERE kind = 'contact' ORDER BY id LIMIT 1 OFFSET 7"
        ).fetchone()
        (last_contact,) = conn.execute(
            "SELECT email FROM accounts_user WHERE kind = 'contact'"
            " ORDER BY email DESC LIMIT 1 OFFSET 50"
        ).fetchone()
        at, event_id = conn.execute(
            "SELECT at, id FROM audit_auditevent ORDER BY at, id LIMIT 1 OFFSET 50"
        ).fetchone()
        updated, ticket_id = conn.execute(
            "SELECT updated_at, id FROM tickets_ticket ORDER BY updated_at, id LIMIT 1 OFFSET 25"
        ).fetchone()
    return {
        "email": email,
        "contacts_last": _encode([last_contact]),
        "audit_last": _encode([at, event_id]),
        "tickets_last": _encode([updated, ticket_id]),
    }


# Server and client -----------------------------------------------------------------


def server_start(env: dict[str, str], *, workers: int, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn), "deskguard.wsgi", "--workers", str(workers)]
    command += ["--bind", f"127.0.0.1:{port}", "--error-logfile", str(log)]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}; see {log}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=5).status_code == 200:
                return process, base_url
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process_stop(process)
    raise SystemExit(f"gunicorn did not answer /healthz within 60 s; see {log}")


@dataclass
class Site:
    size: Size
    env: dict[str, str]
    base_url: str
    process: subprocess.Popen
    signers: dict[str, str]
    targets: dict[str, str]
    admin: httpx.Client | None = None
    seed_seconds: float | None = None
    used: int = 0


def timed(client: httpx.Client, method: str, path: str, **kwargs) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = client.request(method, path, **kwargs)
    return response, (time.perf_counter() - started) * 1000


def sign_in(site: Site, email: str) -> tuple[httpx.Client, float, float]:
    """The two steps through the real forms; returns the client and each POST's ms."""
    client = httpx.Client(base_url=site.base_url, timeout=120)
    token = csrf_token(client.get(SIGNIN))
    response, password_ms = timed(
        client, "POST", SIGNIN, data={"csrfmiddlewaretoken": token, "email": email,
                                       "password": PASSWORD}
    )  # fmt: skip
    expect_redirect(response, VERIFY, "password step")
    code = pyotp.TOTP(site.signers[email]).now()
    response, code_ms = timed(
        client, "POST", VERIFY, data={"csrfmiddlewaretoken": token, "code": code}
    )
    expect_redirect(response, HOME, "code step")
    return client, password_ms, code_ms


def page_get(site: Site, path: str, marker: str) -> float:
    assert site.admin is not None
    response, ms = timed(site.admin, "GET", path)
    if response.status_code != 200 or marker not in response.text:
        raise BenchError(f"{site.size.name} GET {path}: HTTP {response.status_code}")
    return ms


PAGES: list[tuple[str, str, str]] = [
    ("contacts list, last page", "/agent/admin/contacts/?older={contacts_last}", "contact"),
    ("contacts search by one e-mail", "/agent/admin/contacts/?q={email}", "{email}"),
    ("audit log page 1", "/agent/admin/audit/", "Audit log"),
    ("audit log last page", "/agent/admin/audit/?older={audit_last}", "Audit log"),
    ("audit log filtered by account", "/agent/admin/audit/?account={email}", "{email}"),
    ("agent ticket list page 1", "/agent/", "Tickets"),
    ("agent ticket list last page", "/agent/?older={tickets_last}", "Tickets"),
    ("adoption overview", "/agent/admin/", "adoption"),
]
SIGNIN_ROWS = ("sign-in password step", "sign-in code step")


def measure(sites: list[Site], repeats: int) -> dict[str, dict[str, list[float]]]:
    samples: dict[str, dict[str, list[float]]] = {}
    for round_ in range(repeats + 1):  # round 0 warms every worker up, uncounted
        for name, template, marker in PAGES:
            for site in sites:
                path = template.format(**{k: quote(v, safe="") for k, v in site.targets.items()})
                ms = page_get(site, path, marker.format(**site.targets))
                if round_:
                    samples.setdefault(name, {}).setdefault(site.size.name, []).append(ms)
        for site in sites:
            site.used += 1
            email = f"signer{site.used}@bench.example"
            client, password_ms, code_ms = sign_in(site, email)
            client.close()
            if round_:
                samples.setdefault(SIGNIN_ROWS[0], {}).setdefault(site.size.name, []).append(
                    password_ms
                )
                samples.setdefault(SIGNIN_ROWS[1], {}).setdefault(site.size.name, []).append(
                    code_ms
                )
        print(f"  round {round_} done", flush=True)
    return samples


@dataclass
class ExportRun:
    size: str
    rows_expected: int
    rows_in_file: int
    seconds: float
    bytes: int
    progress_seen: list[str]
    slowest_request_ms: float
    requests: int


def export_run(site: Site, workdir: Path) -> ExportRun:
    """The whole log as CSV through the worker, the page polled every 2 s."""
    assert site.admin is not None
    log = workdir / f"worker-{site.size.name}.log"
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--queue-name", "exports", "--interval",
         "1", "--no-reload"],
        cwd=ROOT, env={**os.environ, **site.env}, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    slowest, requests, seen = 0.0, 0, []
    try:
        page = site.admin.get("/agent/admin/audit/")
        token = site.admin.cookies.get("dgcsrf") or csrf_token(page)
        started = time.perf_counter()
        response, ms = timed(
            site.admin, "POST", "/agent/admin/audit/export/",
            data={"csrfmiddlewaretoken": token, "format": "csv"},
            headers={"Referer": site.base_url + "/agent/admin/audit/"},
        )  # fmt: skip
        slowest, requests = max(slowest, ms), requests + 1
        if response.status_code != 302:
            raise BenchError(f"export request: HTTP {response.status_code}")
        detail = response.headers["location"]
        while True:
            response, ms = timed(site.admin, "GET", detail)
            slowest, requests = max(slowest, ms), requests + 1
            text = response.text
            status = re.search(r'role="status">([^<]*)', text)
            if status:
                line = " ".join(status.group(1).split())
                if not seen or seen[-1] != line:
                    seen.append(line)
                    print(f"    {line[:90]}", flush=True)
            if "Download CSV" in text:
                break
            if "This export failed" in text:
                raise BenchError("the export failed; see " + str(log))
            if time.perf_counter() - started > 1800:
                raise BenchError("the export did not finish within 30 minutes")
            time.sleep(2)
        seconds = time.perf_counter() - started
        expected = int(re.search(r"(\d+) events?,", text).group(1))
        link = re.search(r'href="(/agent/admin/audit/exports/\d+/download/)"', text).group(1)
        rows, size = -1, 0  # the header line is not a row
        request_started = time.perf_counter()
        with site.admin.stream("GET", link) as download:
            if download.status_code != 200:
                raise BenchError(f"download: HTTP {download.status_code}")
            for chunk in download.iter_bytes():
                size += len(chunk)
                rows += chunk.count(b"\n")
        slowest = max(slowest, (time.perf_counter() - request_started) * 1000)
        requests += 1
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    return ExportRun(site.size.name, expected, rows, seconds, size, seen, slowest, requests)


# Report ---------------------------------------------------------------------------


def report(
    *,
    args: argparse.Namespace,
    sites: list[Site],
    samples: dict[str, dict[str, list[float]]],
    export: ExportRun | None,
    facts: dict[str, str],
) -> str:
    names = [site.size.name for site in sites]
    small, large = names[0], names[-1]
    lines = [
        "# Scale benchmark (J1-J5)",
        "",
        f"Generated by `make bench-scale` (`bench/scale_bench.py`) on {facts.pop('date')}.",
        "Re-run it to refresh this page; numbers from another machine are not comparable.",
        "",
        "## Machine and setup",
        "",
        *(f"- {key}: {value}" for key, value in facts.items()),
        "",
        "## Sizes",
        "",
        "| size | accounts | audit events | tickets | seeding |",
        "|---|--:|--:|--:|--:|",
    ]
    for site in sites:
        seeded_in = f"{site.seed_seconds:.0f} s" if site.seed_seconds is not None else "(reused)"
        lines.append(
            f"| {site.size.name} | {site.size.accounts:,} | {site.size.events:,} | "
            f"{site.size.tickets:,} | {seeded_in} |"
        )
    lines += [
        "",
        "60% of accounts have an authenticator, 1% are agents, 2% of contacts are",
        "deactivated; each contact has about the same number of audit events at every",
        'size (so "filtered by account" finds ~10 rows at each).',
        "",
        "## Pages",
        "",
        f"Each page over HTTP with an administrator signed in through the real forms;"
        f" median of {args.repeats} runs, interleaved (every page at every size, then the"
        " next round), after one uncounted warm-up round. Last pages are opened with the"
        " cursor of the oldest page, as following *Older* to the end would. Sign-in rows are"
        " a fresh agent each time (password POST, then code POST). On a shared machine"
        " (see the load average) the absolute times grow with the load; the ratio, measured"
        " interleaved, is the figure J1 is about.",
        "",
        "| page | " + " | ".join(f"{n} ms" for n in names) + f" | {large}/{small} |",
        "|---|" + "--:|" * (len(names) + 1),
    ]
    worst = 0.0
    for name in [p[0] for p in PAGES] + list(SIGNIN_ROWS):
        medians = {n: statistics.median(samples[name][n]) for n in names}
        ratio = medians[large] / medians[small] if medians[small] else float("nan")
        worst = max(worst, ratio)
        lines.append(
            f"| {name} | " + " | ".join(f"{medians[n]:.1f}" for n in names) + f" | {ratio:.2f} |"
        )
    lines += [
        "",
        f"Largest {large}/{small} ratio: **{worst:.2f}** "
        f"({'within' if worst <= 2 else 'NOT within'} the 2x of J1).",
        "",
    ]
    if export is not None:
        exact = export.rows_in_file == export.rows_expected
        lines += [
            "## Export of the whole log",
            "",
            f"At {export.size}: CSV of every event, asked for in the audit log, written by"
            " one `manage.py db_worker` while the progress page was polled every 2 s,"
            " then downloaded.",
            "",
            f"- rows in the file: {export.rows_in_file:,}; the page said {export.rows_expected:,}"
            f" ({'exact' if exact else 'MISMATCH'})",
            f"- from the request to the finished file: {export.seconds:.0f} s"
            f" ({export.rows_in_file / export.seconds:,.0f} rows/s), {export.bytes / 1e6:.0f} MB",
            f"- requests: {export.requests}, the slowest {export.slowest_request_ms:.0f} ms"
            " (the download of the finished file included)",
            "- progress shown on the way: "
            + "; ".join(
                f'"{line[:60]}"'
                for line in export.progress_seen[:1]
                + export.progress_seen[1:-1][:: max(1, len(export.progress_seen) // 5)]
                + export.progress_seen[-1:]
            ),
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="deskguard-scale-"))
    from cryptography.fernet import Fernet

    base_env = {
        "DESKGUARD_ENV": "local",
        "DESKGUARD_VAR_DIR": str(workdir / "var"),
        "DESKGUARD_EXPORT_DIR": str(workdir / "exports"),
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": "bench-" + Fernet.generate_key().decode(),
        "RECOVERY_CODE_HMAC_KEY": "bench-only-recovery-key-not-a-real-secret",
        # Fixed, so --reuse finds the secrets it seeded: a benchmark key, never a real one.
        "TOTP_ENCRYPTION_KEYS": "YmVuY2gtb25seS1rZXktbm90LWEtcmVhbC1zZWNyZXQ=",
        "DESKGUARD_MANIFEST_STATIC": "false",
    }
    print(f"preparing {args.database_url} ...", flush=True)
    database_prepare(args.database_url)
    sites: list[Site] = []
    try:
        for name in args.sizes:
            size = SIZES[name]
            schema = f"size_{name.lower()}"
            env = {**base_env, "DATABASE_URL": schema_url(args.database_url, schema)}
            seed_seconds = None
            if not (args.reuse and seeded(args.database_url, schema)):
                print(f"size {name}: migrating schema {schema} ...", flush=True)
                with admin_connect(args.database_url) as conn:
                    conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                    conn.execute(f"CREATE SCHEMA {schema}")
                migrate(env)
                secrets = secrets_make(env)
                print(f"size {name}: seeding ...", flush=True)
                seed_seconds = seed(args.database_url, schema, size, secrets)
                print(f"  seeded in {seed_seconds:.0f} s", flush=True)
            process, base_url = server_start(
                env, workers=args.workers, log=workdir / f"gunicorn-{name}.log"
            )
            site = Site(
                size,
                env,
                base_url,
                process,
                signers_load(args.database_url, schema),
                targets(args.database_url, schema),
                seed_seconds=seed_seconds,
            )
            site.admin, _, _ = sign_in(site, "admin@bench.example")
            sites.append(site)
        print(f"measuring ({args.repeats} rounds) ...", flush=True)
        samples = measure(sites, args.repeats)
        export = None
        if not args.no_export:
            print(f"export at {sites[-1].size.name} ...", flush=True)
            export = export_run(sites[-1], workdir)
        with admin_connect(args.database_url) as conn:
            (version,) = conn.execute("SHOW server_version").fetchone()
        import django
        import gunicorn

        facts = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "CPU": f"{os.cpu_count()} cores (nproc), {cpu_model()}",
            "load average at the end": " ".join(f"{x:.1f}" for x in os.getloadavg()),
            "OS": platform.platform(),
            "Python": platform.python_version(),
            "Django": django.get_version(),
            "gunicorn": f"{gunicorn.__version__}, {args.workers} sync workers per size",
            "database": f"PostgreSQL {version}, one schema per size in one database",
        }
        text = report(args=args, sites=sites, samples=samples, export=export, facts=facts)
        Path(args.output).write_text(text + "\n")
        print(text)
    finally:
        for site in sites:
            process_stop(site.process)


if __name__ == "__main__":
    main()
