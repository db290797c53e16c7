"""K2, I7: security-key challenges are few per account, short-lived and purged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from webauthn.helpers import bytes_to_base64url

from deskguard.twofactor import keys
from deskguard.twofactor.models import WebAuthnChallenge

pytestmark = pytest.mark.usefixtures("keys_site")


def issue(user, binding="b") -> str:
    return bytes_to_base64url(
        keys.challenge_issue(user=user, purpose=keys.Purpose.SIGNIN, binding=binding)
    )


def test_k2_a_challenge_is_used_once_and_only_for_what_it_was_bound_to(agent):
    challenge = issue(agent, binding="mine")
    use = {"user": agent, "purpose": keys.Purpose.SIGNIN, "challenge": challenge}
    assert not keys.challenge_consume(binding="someone else's", **use)
    assert not keys.challenge_consume(
        user=agent, purpose=keys.Purpose.REAUTH, binding="mine", challenge=challenge
    )
    assert keys.challenge_consume(binding="mine", **use)
    assert not keys.challenge_consume(binding="mine", **use)


def test_k2_an_expired_challenge_is_refused(agent):
    challenge = issue(agent)
    WebAuthnChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert not keys.challenge_consume(
        user=agent, purpose=keys.Purpose.SIGNIN, binding="b", challenge=challenge
    )


def test_i7_a_reloading_page_keeps_at_most_five_challenges_per_account(agent, admin):
    issued = [issue(agent) for _ in range(12)]
    issue(admin)
    kept = set(WebAuthnChallenge.objects.filter(user=agent).values_list("challenge", flat=True))
    assert kept == set(issued[-keys.CHALLENGES_PER_ACCOUNT :])
    assert WebAuthnChallenge.objects.filter(user=admin).count() == 1


def test_k2_purge_throttles_deletes_expired_challenges_only(agent, admin, capsys):
    issue(agent)
    issue(admin)
    WebAuthnChallenge.objects.filter(user=agent).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    call_command("purge_throttles")
    assert "Deleted 1 expired security-key challenge(s)." in capsys.readouterr().out
    assert list(WebAuthnChallenge.objects.values_list("user_id", flat=True)) == [admin.pk]
