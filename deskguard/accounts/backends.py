"""Session-restoring backend.

Form sign-in does not go through `authenticate()`: `accounts.auth.password_check`
decides, so that it can stop after the password step for the second factor.
This backend only restores the user from the session, refusing deactivated
accounts so their sessions stop working at the next request (A6).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest

from .models import User


class EmailBackend(BaseBackend):
    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> None:
        return None

    def get_user(self, user_id: int) -> User | None:
        try:
            user = User.objects.get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if user.is_active else None
