"""A migration operation for indexes on large tables (J1, J2).

On PostgreSQL the indexes are built with CREATE INDEX CONCURRENTLY, which does not
block writes: a plain CREATE INDEX on a ten-million-row audit table would hold back
every sign-in (each one appends an audit row) for minutes. CONCURRENTLY cannot run in
a transaction, so a migration using this operation sets `atomic = False`; if it stops
halfway, the IF [NOT] EXISTS clauses let it run again (an index left INVALID by an
interrupted build must be dropped by hand first: `DROP INDEX CONCURRENTLY name`).

On other databases (SQLite, the local demo) the ordinary operations run, so the
model state and the schema agree there without any PostgreSQL-only SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.migrations.operations.base import Operation


class PostgresSQLOrOperations(Operation):
    """`operations` describe the change to the model state (and are applied as they
    are on databases other than PostgreSQL); on PostgreSQL, `forward_sql` (and
    `backward_sql` to reverse) run instead, one statement at a time."""

    reduces_to_sql = False

    def __init__(
        self,
        *,
        operations: Sequence[Operation],
        forward_sql: Sequence[str],
        backward_sql: Sequence[str],
    ) -> None:
        self.operations = list(operations)
        self.forward_sql = list(forward_sql)
        self.backward_sql = list(backward_sql)
        super().__init__()

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs = {
            "operations": self.operations,
            "forward_sql": self.forward_sql,
            "backward_sql": self.backward_sql,
        }
        return self.__class__.__qualname__, [], kwargs

    def state_forwards(self, app_label: str, state: Any) -> None:
        for operation in self.operations:
            operation.state_forwards(app_label, state)

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for sql in self.forward_sql:
                schema_editor.execute(sql, params=None)
            return
        for operation in self.operations:
            to = from_state.clone()
            operation.state_forwards(app_label, to)
            operation.database_forwards(app_label, schema_editor, from_state, to)
            from_state = to

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for sql in self.backward_sql:
                schema_editor.execute(sql, params=None)
            return
        states = [to_state]
        for operation in self.operations[:-1]:
            state = states[-1].clone()
            operation.state_forwards(app_label, state)
            states.append(state)
        for operation, before in zip(reversed(self.operations), reversed(states), strict=True):
            after = before.clone()
            operation.state_forwards(app_label, after)
            operation.database_backwards(app_label, schema_editor, after, before)

    def describe(self) -> str:
        return "Indexes (CONCURRENTLY on PostgreSQL)"
