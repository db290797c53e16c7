"""Re-encrypting stored secrets under the newest key (F1), in short batches (J4).

A batch reads a few hundred devices without a lock, re-encrypts them in Python, and
writes them back in one compare-and-set UPDATE (`SET secret_encrypted = CASE id ...
WHERE id IN (...) AND secret_encrypted IN (the tokens read)`; tokens are unique, so a
row matches only its own old token): its rows are locked only for the milliseconds of
that one statement, so a code step on one of those accounts waits at most that long. A device
re-enrolled in between fails the compare and is left alone (its new secret is under
the newest key already). A device the newest key already decrypts is skipped, so an
interrupted run simply runs again: it walks the table and rewrites only what is left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Case, F, TextField, Value, When

from deskguard.crypto import InvalidToken, secret_is_current, secret_rotate

from .models import TOTPDevice

BATCH_SIZE = 200


@dataclass
class RotationProgress:
    total: int
    checked: int = 0
    rotated: int = 0
    current: int = 0
    # Devices no configured key decrypts: left as they are, reported.
    undecryptable: list[int] = field(default_factory=list)


def totp_secrets_rotate(
    *,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[RotationProgress], None] | None = None,
) -> RotationProgress:
    progress = RotationProgress(total=TOTPDevice.objects.count())
    last_pk = 0
    while True:
        rows = list(
            TOTPDevice.objects.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", "secret_encrypted")[:batch_size]
        )
        if not rows:
            return progress
        last_pk = rows[-1][0]
        changes: list[tuple[int, str, str]] = []
        for pk, token in rows:
            if secret_is_current(token):
                progress.current += 1
                continue
            try:
                changes.append((pk, token, secret_rotate(token)))
            except InvalidToken:
                progress.undecryptable.append(pk)
        if changes:
            progress.rotated += TOTPDevice.objects.filter(
                pk__in=[pk for pk, _, _ in changes],
                secret_encrypted__in=[old for _, old, _ in changes],
            ).update(
                secret_encrypted=Case(
                    *(When(pk=pk, then=Value(new)) for pk, _, new in changes),
                    default=F("secret_encrypted"),
                    output_field=TextField(),
                )
            )
        progress.checked += len(rows)
        if on_batch is not None:
            on_batch(progress)
