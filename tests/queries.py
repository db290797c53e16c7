"""Counting the SQL a request runs, read before the next request resets the log
(Django clears `connection.queries` at every request start)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.db import connection
from django.test.utils import CaptureQueriesContext

T = TypeVar("T")
WRITES = ("INSERT", "UPDATE", "DELETE")


@dataclass(frozen=True)
class Counted:
    statements: int
    writes: int
    sql: tuple[str, ...]

    @property
    def app_writes(self) -> int:
        """Writes other than Django's own session save."""
        return sum(
            1
            for s in self.sql
            if s.lstrip().upper().startswith(WRITES) and '"django_session"' not in s
        )

    def __str__(self) -> str:
        return f"{self.statements} statements, {self.writes} writes:\n" + "\n".join(self.sql)


def counted(run: Callable[[], T]) -> tuple[T, Counted]:
    """Run `run` (e.g. one client request) and count its statements and writes."""
    with CaptureQueriesContext(connection) as context:
        result = run()
    sql = tuple(query["sql"] for query in context.captured_queries)
    # Transaction control (SAVEPOINT, RELEASE) is not a statement the budget is about.
    sql = tuple(s for s in sql if not s.upper().startswith(("SAVEPOINT", "RELEASE")))
    writes = sum(1 for s in sql if s.lstrip().upper().startswith(WRITES))
    return result, Counted(len(sql), writes, sql)
