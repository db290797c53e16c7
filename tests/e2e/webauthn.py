"""Security keys in a real Chromium, shared by the agents' and the contacts' browser
tests: Chromium's virtual authenticators (DevTools protocol, WebAuthn domain) and the
steps a person takes with a key on their portal's Security page and sign-in."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import CDPSession, Locator, Page, expect

from deskguard.accounts.models import User

from .conftest import browser_signin, shoot


class Authenticators:
    """Chromium's virtual authenticators for one page: plug keys in and out."""

    def __init__(self, page: Page) -> None:
        self.cdp: CDPSession = page.context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable", {"enableUI": False})

    def plug(self, credentials: list[dict[str, Any]] | None = None) -> str:
        found = self.cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        authenticator: str = found["authenticatorId"]
        for credential in credentials or []:
            self.cdp.send(
                "WebAuthn.addCredential",
                {"authenticatorId": authenticator, "credential": credential},
            )
        return authenticator

    def unplug(self, authenticator: str) -> list[dict[str, Any]]:
        """Remove the key; returns its credentials, to plug the same key in later."""
        held = self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
        self.cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator})
        return list(held["credentials"])

    def user_verified(self, authenticator: str, verified: bool) -> None:
        self.cdp.send(
            "WebAuthn.setUserVerified",
            {"authenticatorId": authenticator, "isUserVerified": verified},
        )


def add_key(page: Page, security_url: str, name: str, *, shot: str = "security-key-add") -> None:
    """From the Security page: Add security key, name it, and let the browser register it."""
    page.goto(security_url)
    page.get_by_role("link", name="Add security key").click()
    expect(page.get_by_role("heading", name="Add a security key or passkey")).to_be_visible()
    page.get_by_label("Name of the key").fill(name)
    shoot(page, shot, phone=True)
    page.get_by_role("button", name="Add key").click()


def save_codes(page: Page) -> None:
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    page.get_by_role("button", name="I have saved my recovery codes").click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/signin/$"))


def use_key_button(page: Page, user: User) -> Locator:
    """The password step, then the second step's key button (not yet clicked)."""
    browser_signin(page, user)
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))
    button = page.get_by_role("button", name="Use your security key")
    # K2: offered first, with the focus: one click (or Enter) starts the prompt.
    expect(button).to_be_focused()
    return button
