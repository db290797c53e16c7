"""Keyset ("newer / older") pagination for every list (J1).

A page is found by the sort key of the row next to it, never by an offset: "older"
means `WHERE (key, id) < cursor ORDER BY key DESC, id DESC LIMIT n`, which an index
on the order answers by reading n rows, whether the table has a thousand rows or ten
million. No page counts the whole filtered set either (COUNT(*) over the filter was
most of the time of a page at 10M rows).

The cursor is the sort key of the last (or first) row shown, in the URL as an opaque
string; a cursor that does not parse shows the first page, as a strange page number
did before.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet

M = TypeVar("M", bound=models.Model)

OLDER = "older"
NEWER = "newer"
# Longer cursors are never produced here; anything longer is not ours.
MAX_CURSOR_LENGTH = 1000


@dataclass(frozen=True)
class Order:
    """A total order over a table: its key fields, the last one unique (usually id),
    all descending (newest first) or all ascending."""

    fields: tuple[str, ...]
    descending: bool

    def order_by(self, *, reverse: bool = False) -> list[str]:
        descending = self.descending != reverse
        return [f"-{name}" if descending else name for name in self.fields]


def _encode(values: Sequence[Any]) -> str:
    plain = [value.isoformat() if isinstance(value, dt.datetime) else value for value in values]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(model: type[models.Model], order: Order, cursor: str) -> list[Any] | None:
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    if not isinstance(values, list) or len(values) != len(order.fields):
        return None
    parsed: list[Any] = []
    for name, value in zip(order.fields, values, strict=True):
        if not isinstance(value, str | int) or isinstance(value, bool):
            return None
        field = model._meta.get_field(name)
        try:
            python = field.to_python(value)  # type: ignore[union-attr]
        except (ValidationError, ValueError, TypeError, OverflowError):
            return None
        if python is None or (isinstance(python, str) and "\x00" in python):
            return None
        if isinstance(python, dt.datetime) and python.tzinfo is None:
            return None  # ours always carry their offset
        if isinstance(python, int) and not -(2**63) <= python < 2**63:
            return None
        parsed.append(python)
    return parsed


def keyset_after(order: Order, values: Sequence[Any], *, forward: bool = True) -> Q:
    """Rows strictly after `values` in the order (or before, when not `forward`).

    Written as `k1 <= v1 AND (k1 < v1 OR (k1 = v1 AND k2 < v2))`: the first clause is
    an index range condition on both databases, so the scan starts at the cursor
    instead of filtering every row before it (a bare OR is not a range)."""
    lesser = order.descending == forward
    strict, loose = ("lt", "lte") if lesser else ("gt", "gte")
    names = order.fields
    condition = Q(**{f"{names[-1]}__{strict}": values[-1]})
    for index in range(len(names) - 2, -1, -1):
        name, value = names[index], values[index]
        condition = Q(**{f"{name}__{strict}": value}) | (Q(**{name: value}) & condition)
    if len(names) > 1:
        condition = Q(**{f"{names[0]}__{loose}": values[0]}) & condition
    return condition


@dataclass
class KeysetPage(Generic[M]):
    rows: list[M]
    older_cursor: str | None
    newer_cursor: str | None
    # Whether this is not the first page (a "newest" link is worth showing).
    paged: bool

    def __iter__(self) -> Any:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def has_other_pages(self) -> bool:
        return bool(self.older_cursor or self.newer_cursor)


def keyset_page(
    queryset: QuerySet[M], order: Order, *, query: dict[str, str] | Any, per_page: int
) -> KeysetPage[M]:
    """The page the request's `older` or `newer` cursor points at (the first page when
    neither is there or parses). Reads at most `per_page + 1` rows."""
    model = queryset.model
    older = _decode(model, order, str(query.get(OLDER, "")))
    newer = _decode(model, order, str(query.get(NEWER, ""))) if older is None else None
    if newer is not None:
        rows = list(
            queryset.filter(keyset_after(order, newer, forward=False)).order_by(
                *order.order_by(reverse=True)
            )[: per_page + 1]
        )
        if len(rows) > per_page:
            rows = rows[:per_page][::-1]
            return _page(order, rows, has_older=True, has_newer=True)
        # Back at the top: show a whole first page rather than a short one.
    elif older is not None:
        rows = list(
            queryset.filter(keyset_after(order, older, forward=True)).order_by(*order.order_by())[
                : per_page + 1
            ]
        )
        return _page(order, rows[:per_page], has_older=len(rows) > per_page, has_newer=True)
    rows = list(queryset.order_by(*order.order_by())[: per_page + 1])
    return _page(order, rows[:per_page], has_older=len(rows) > per_page, has_newer=False)


def keyset_cursor(order: Order, row: models.Model) -> str:
    """The cursor of `row`: the page after it (older) or before it (newer)."""
    return _encode([getattr(row, name) for name in order.fields])


def _page(order: Order, rows: list[M], *, has_older: bool, has_newer: bool) -> KeysetPage[M]:
    return KeysetPage(
        rows=rows,
        older_cursor=keyset_cursor(order, rows[-1]) if has_older and rows else None,
        newer_cursor=keyset_cursor(order, rows[0]) if has_newer and rows else None,
        paged=has_newer,
    )


def pager_links(page: KeysetPage[Any], query_string: str) -> dict[str, str | None]:
    """Query strings for the pager: the filters plus the cursor."""
    prefix = f"{query_string}&" if query_string else ""
    return {
        "newest": f"?{query_string}" if page.paged else None,
        "newer": f"?{prefix}{urlencode({NEWER: page.newer_cursor})}" if page.newer_cursor else None,
        "older": f"?{prefix}{urlencode({OLDER: page.older_cursor})}" if page.older_cursor else None,
    }
