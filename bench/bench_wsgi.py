"""Bench-only WSGI entry point: deskguard's WSGI application, wrapped to count what
each request does to the database. `bench/signin_bench.py` serves both versions it
compares through this module (`gunicorn bench_wsgi:application`), so the application
code of either version stays untouched.

Per request, one JSON line in $BENCH_STATS_DIR/stats-<pid>.jsonl:
- q, reads, writes: SQL statements (transaction control not included), of which
  SELECTs and INSERT/UPDATE/DELETEs;
- begins, commits, rollbacks: transactions started (an outermost atomic block),
  COMMITs and ROLLBACKs sent; autocommit_writes: writes run outside a transaction,
  each of which commits by itself;
- begin_s: seconds spent in BEGIN statements (SQLite: `BEGIN IMMEDIATE` returns
  once this connection holds the write lock, so this is the wait to begin a write
  transaction; PostgreSQL sends BEGIN with the first statement, so it is 0 there);
- autocommit_write_s: seconds in writes outside a transaction (on SQLite each one
  takes the write lock itself: an upper bound on its wait for it);
- commit_s, sql_s: seconds in COMMITs and in all statements;
- wall_s, cpu_s: the request in the application (middleware, view, response close),
  wall clock and this worker's CPU time.
The request's phase comes from the X-Bench-Phase header the bench sends.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deskguard.settings")

from django.db import DEFAULT_DB_ALIAS, connections

import deskguard
from deskguard.wsgi import application as deskguard_application

STATS_DIR = Path(os.environ.get("BENCH_STATS_DIR", "."))
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")

_counters: dict[str, Any] | None = None  # the current request's, None between requests


def _new_counters() -> dict[str, Any]:
    return {
        "q": 0,
        "reads": 0,
        "writes": 0,
        "begins": 0,
        "commits": 0,
        "rollbacks": 0,
        "autocommit_writes": 0,
        "begin_s": 0.0,
        "autocommit_write_s": 0.0,
        "commit_s": 0.0,
        "sql_s": 0.0,
    }


def _statement_counter(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    counters = _counters
    if counters is None:
        return execute(sql, params, many, context)
    db = context["connection"]
    head = sql.lstrip()[:10].upper()
    outside_transaction = not db.in_atomic_block
    start = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        seconds = time.perf_counter() - start
        counters["sql_s"] += seconds
        if head.startswith("BEGIN"):
            counters["begin_s"] += seconds
        elif not head.startswith(TRANSACTION_CONTROL):
            counters["q"] += 1
            if head.startswith("SELECT"):
                counters["reads"] += 1
            elif head.startswith(WRITES) or " RETURNING " in sql.upper():
                counters["writes"] += 1
                if outside_transaction:
                    counters["autocommit_writes"] += 1
                    counters["autocommit_write_s"] += seconds
            elif head.startswith("WITH"):
                counters["reads"] += 1


def _patch_backend(cls: type) -> None:
    """Count transactions started, COMMITs and ROLLBACKs on the backend class: Django
    sends these through the driver, not through execute wrappers (except SQLite's
    BEGIN, which the statement counter times)."""
    if getattr(cls, "_bench_patched", False):
        return
    set_autocommit, commit, rollback = cls.set_autocommit, cls._commit, cls._rollback

    def counted_set_autocommit(self: Any, autocommit: bool, *args: Any, **kwargs: Any) -> Any:
        if _counters is not None and not autocommit:
            _counters["begins"] += 1
        return set_autocommit(self, autocommit, *args, **kwargs)

    def counted_commit(self: Any) -> Any:
        start = time.perf_counter()
        try:
            return commit(self)
        finally:
            if _counters is not None and self.connection is not None:
                _counters["commits"] += 1
                _counters["commit_s"] += time.perf_counter() - start

    def counted_rollback(self: Any) -> Any:
        if _counters is not None and self.connection is not None:
            _counters["rollbacks"] += 1
        return rollback(self)

    cls.set_autocommit = counted_set_autocommit
    cls._commit = counted_commit
    cls._rollback = counted_rollback
    cls._bench_patched = True


class _Stats:
    def __init__(self) -> None:
        self._fd: int | None = None
        self._pid = 0

    def write(self, record: dict[str, Any]) -> None:
        pid = os.getpid()
        if self._fd is None or self._pid != pid:
            STATS_DIR.mkdir(parents=True, exist_ok=True)
            path = STATS_DIR / f"stats-{pid}.jsonl"
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            self._pid = pid
        os.write(self._fd, (json.dumps(record, separators=(",", ":")) + "\n").encode())


_stats = _Stats()


class _Closing:
    """The response body; the request's line is written when the server closes it
    (after Django's request_finished, so statements run there are counted too)."""

    def __init__(self, body: Iterable[bytes], finish: Callable[[], None]) -> None:
        self._body = body
        self._finish = finish

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._finish()


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    global _counters
    connection = connections[DEFAULT_DB_ALIAS]  # the backend object, not the proxy
    _patch_backend(type(connection))
    if _statement_counter not in connection.execute_wrappers:
        connection.execute_wrappers.append(_statement_counter)
    counters = _counters = _new_counters()
    status: list[str] = []

    def recording_start_response(status_line: str, headers: Any, *args: Any) -> Any:
        status.append(status_line)
        return start_response(status_line, headers, *args)

    wall, cpu = time.perf_counter(), time.thread_time()

    def finish() -> None:
        global _counters
        _counters = None
        record = {
            "tag": environ.get("HTTP_X_BENCH_PHASE", ""),
            "method": environ.get("REQUEST_METHOD", ""),
            "path": environ.get("PATH_INFO", ""),
            "status": int(status[0].split()[0]) if status else 0,
            "wall_s": time.perf_counter() - wall,
            "cpu_s": time.thread_time() - cpu,
            **counters,
        }
        _stats.write(record)

    try:
        body = deskguard_application(environ, recording_start_response)
    except BaseException:
        finish()
        raise
    return _Closing(body, finish)


def _write_info() -> None:
    """Which code this server runs, for the bench to check."""
    import django

    STATS_DIR.mkdir(parents=True, exist_ok=True)
    info = {
        "deskguard": deskguard.__file__,
        "django": django.get_version(),
        "python": sys.executable,
        "vendor": connections[DEFAULT_DB_ALIAS].vendor,
    }
    (STATS_DIR / f"info-{os.getpid()}.json").write_text(json.dumps(info))


_write_info()
