"""Accounts (A1): one user table for agents and contacts; the e-mail is the login."""

from __future__ import annotations

from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from .timezones import zone_or_default


def normalize_email(email: str) -> str:
    """E-mail is matched case-insensitively (A1): store and look up lower-case."""
    return email.strip().lower()


class Kind(models.TextChoices):
    AGENT = "agent", _("Agent")
    CONTACT = "contact", _("Contact")


class Language(models.TextChoices):
    # Blank: the language the browser asks for (Accept-Language), L4.
    ENGLISH = "en", "English"
    GERMAN = "de", "Deutsch"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=normalize_email(username or ""))

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=normalize_email(email), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("kind", Kind.AGENT)
        extra.setdefault("is_admin", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser):
    email = models.EmailField(max_length=254, unique=True)
    name = models.CharField(max_length=150, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Only agents can be administrators; enforced by a check constraint below.
    is_admin = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Part of the session hash: bumping it signs the account out everywhere (D3),
    # without touching the password.
    session_version = models.PositiveIntegerField(default=0)
    # L2: pages and mails show times in this zone (an IANA name, checked against
    # zoneinfo by accounts.timezones); blank follows the helpdesk's TIME_ZONE, so an
    # account nobody configured moves with the site's setting.
    # A database default too, so rows written in SQL (the scale benchmark's seeding)
    # need not name the column.
    time_zone = models.CharField(max_length=64, blank=True, default="", db_default="")
    # L4: the account's language; blank follows the browser.
    language = models.CharField(
        max_length=8, choices=Language.choices, blank=True, default="", db_default=""
    )

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["kind"]

    class Meta:
        ordering = ["email"]
        # J1/J2: one b-tree on email (the unique one) for sign-in and ordering, (kind,
        # email) for the account lists, and a trigram index on upper(email) for the
        # contains-search on PostgreSQL (migration 0003). Case-insensitive uniqueness
        # (A1) is the unique e-mail plus a check that it is stored lower-case: a
        # third index on lower(email) would only repeat the first.
        indexes = [models.Index(fields=["kind", "email"], name="user_kind_email")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="user_email_lowercase"
            ),
            models.CheckConstraint(
                condition=models.Q(is_admin=False) | models.Q(kind="agent"),
                name="user_admin_is_agent",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        return salted_hmac(
            "deskguard.accounts.User.get_session_auth_hash",
            f"{self.password}:{self.session_version}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def sessions_revoke(self) -> None:
        """End every session of this account at its next request."""
        User.objects.filter(pk=self.pk).update(session_version=models.F("session_version") + 1)
        self.refresh_from_db(fields=["session_version"])

    @property
    def is_agent(self) -> bool:
        return self.kind == Kind.AGENT

    @property
    def is_contact(self) -> bool:
        return self.kind == Kind.CONTACT

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def zone(self) -> ZoneInfo:
        """The zone this account reads times in (L2)."""
        return zone_or_default(self.time_zone)

    @property
    def is_invited(self) -> bool:
        """Created by an administrator and never chose a password: not yet in use."""
        return not self.has_usable_password() and not self.last_login
