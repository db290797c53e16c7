"""A real SMTP server for tests, which can also refuse, hang or go away.

Built on aiosmtpd: its ``Controller`` runs an asyncio loop in a daemon thread,
listening on 127.0.0.1. The test thread switches the mode at any time; each
SMTP connection reads the mode when it reaches the stage concerned.

Modes (``server.set_mode(mode, stage=..., delay=..., recipients=...)``):

=========  ==================================================================
accept     store every message in ``server.messages`` (the default)
tempfail   reply ``421`` at ``stage`` (MAIL by default)
permfail   reply ``550`` at ``stage`` (``554`` at CONNECT)
hang       accept the connection but delay the reply at ``stage`` by
           ``delay`` seconds (default: an hour, i.e. never). ``stage="TCP"``
           instead keeps the port bound but never completes the TCP
           handshake (a black hole, like a firewall that drops packets)
down       stop listening: connections are refused. Any other mode (or
           ``start()``) listens again on the same port
=========  ==================================================================

Stages: ``"CONNECT"`` (the 220 banner), ``"MAIL"``, ``"RCPT"``, ``"DATA"`` (the
reply after the message body) and, for ``hang`` only, ``"TCP"``.

What Django's SMTP ``EmailBackend`` (Python 3.11 ``smtplib``) raises, measured by
``test_smtp_server.py``:

====================  ======================================================
server behaviour      exception (every one is an ``OSError``)
====================  ======================================================
*fail at CONNECT      ``SMTPConnectError``      (.smtp_code 421 / 554)
*fail at MAIL         ``SMTPSenderRefused``     (.smtp_code 421 / 550)
*fail at RCPT         ``SMTPRecipientsRefused`` (.recipients[addr][0] 421 / 550;
                      NOT an ``SMTPResponseException``; raised only if *every*
                      recipient is refused, or at the first 421)
*fail at DATA         ``SMTPDataError``         (.smtp_code 421 / 550)
hang (any stage but   ``SMTPServerDisconnected("Connection unexpectedly closed:
TCP)                  timed out")``, its ``__context__`` a ``TimeoutError``
hang stage TCP        ``TimeoutError`` (= ``socket.timeout``) from connect()
down                  ``ConnectionRefusedError``
====================  ======================================================

A 550 for *some* recipients only (``recipients={...}``) is NOT an error for
Django: ``send_mail`` returns 1 and the refused addresses are silently dropped.

Usage with pytest-django (function-scoped fixture ``smtp_server``)::

    # conftest.py (root) or the test module:
    pytest_plugins = ["smtp_server"]  # the dotted path of this module

    def test_it_retries(smtp_server):
        smtp_server.set_mode("tempfail")
        ...
        smtp_server.set_mode("accept")
        ...
        assert smtp_server.messages[0].message["Subject"] == "..."
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

MODES = ("accept", "tempfail", "permfail", "hang", "down")
STAGES = ("TCP", "CONNECT", "MAIL", "RCPT", "DATA")
NEVER = 3600.0  # "hang" default: far longer than any client timeout

TEMPFAIL_REPLY = "421 4.3.2 Service not available, try again later (test server)"
PERMFAIL_REPLY = "550 5.7.1 Rejected (test server)"
PERMFAIL_GREETING = "554 5.3.2 No SMTP service here (test server)"


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes  # the raw message as received (CRLF line ends)
    message: EmailMessage  # parsed with email.policy.default, CRLF -> LF
    peer: Any = None

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def body_text(self) -> str:
        part = self.message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""


@dataclass
class _Rule:
    mode: str = "accept"
    stage: str = "MAIL"
    delay: float = NEVER
    recipients: frozenset[str] | None = None  # RCPT stage: only these fail/hang


class _Handler:
    """aiosmtpd handler hooks; run in the server thread."""

    def __init__(self, owner: SMTPTestServer) -> None:
        self.owner = owner

    async def _apply(self, stage: str, address: str | None = None) -> str | None:
        rule = self.owner._rule
        if rule.stage != stage:
            return None
        if stage == "RCPT" and rule.recipients is not None and address is not None:
            if address.lower() not in rule.recipients:
                return None
        if rule.mode == "tempfail":
            return TEMPFAIL_REPLY
        if rule.mode == "permfail":
            return PERMFAIL_REPLY
        if rule.mode == "hang":
            await asyncio.sleep(rule.delay)  # cancelled when the client goes away
        return None

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if (refusal := await self._apply("MAIL")) is not None:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if (refusal := await self._apply("RCPT", address)) is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if (refusal := await self._apply("DATA")) is not None:
            return refusal
        raw = envelope.original_content or b""
        # Parse with \n line ends so get_content() gives Python text; .data stays raw.
        parsed = email.message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.owner._store(
            ReceivedMessage(
                mail_from=envelope.mail_from or "",
                rcpt_tos=list(envelope.rcpt_tos),
                data=raw,
                message=parsed,
                peer=session.peer,
            )
        )
        return "250 OK: queued (test server)"


class _SMTP(SMTP):
    """aiosmtpd's SMTP with a banner that can be delayed or refused."""

    def __init__(self, handler: _Handler, owner: SMTPTestServer, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._owner = owner
        self._greeted = False
        # The Controller opens one connection itself while starting: don't count it
        # or apply the CONNECT-stage rule to it.
        self._probe = owner._starting

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not self._probe:
            self._owner._count_connection()
        self._owner._live.add(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self._owner._live.discard(self)
        super().connection_lost(error)

    async def push(self, status: Any) -> None:
        if not self._greeted:
            self._greeted = True
            rule = self._owner._rule
            if rule.stage == "CONNECT" and not self._probe:
                if rule.mode == "hang":
                    await asyncio.sleep(rule.delay)
                elif rule.mode in ("tempfail", "permfail"):
                    reply = TEMPFAIL_REPLY if rule.mode == "tempfail" else PERMFAIL_GREETING
                    await super().push(reply)
                    if self.transport is not None:
                        self.transport.close()
                    return
        await super().push(status)


class _Controller(Controller):
    def __init__(self, owner: SMTPTestServer, **kwargs: Any) -> None:
        self._owner = owner
        super().__init__(_Handler(owner), **kwargs)

    def factory(self) -> SMTP:
        return _SMTP(self.handler, self._owner, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        # Bind to port 0 and learn the port from the listening socket: no race
        # between "find a free port" and "bind it".
        if self.port == 0 and self.server is not None:
            self.port = cast(asyncio.Server, self.server).sockets[0].getsockname()[1]
        super()._trigger_server()


class SMTPTestServer:
    """A real SMTP server on 127.0.0.1 whose behaviour tests switch at runtime."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.messages: list[ReceivedMessage] = []
        self.connections = 0  # TCP connections that reached the SMTP layer
        self._rule = _Rule()
        self._lock = threading.Condition()
        self._controller: _Controller | None = None
        self._blackhole: list[socket.socket] = []
        self._live: set[_SMTP] = set()  # open sessions; touched in the server thread only
        self._starting = False

    # -- lifecycle -----------------------------------------------------------
    def start(self) -> SMTPTestServer:
        """Listen (again) on ``self.port`` (a free port the first time)."""
        if self._controller is not None:
            return self
        self._close_blackhole()
        controller = _Controller(
            self,
            hostname=self.host,
            port=self.port,
            server_hostname="smtp.test",  # no getfqdn() DNS lookup
            ready_timeout=5.0,
        )
        self._starting = True
        try:
            controller.start()
        finally:
            self._starting = False
        self.port = controller.port
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening (and drop the black hole, if any)."""
        if self._controller is not None:
            # Close open sessions first (aiosmtpd's stop() only cancels their tasks).
            self._controller.loop.call_soon_threadsafe(self._close_sessions)
            self._controller.stop()
            self._controller = None
        self._close_blackhole()

    @property
    def listening(self) -> bool:
        return self._controller is not None

    def __enter__(self) -> SMTPTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- modes ---------------------------------------------------------------
    @property
    def mode(self) -> str:
        return self._rule.mode

    def set_mode(
        self,
        mode: str,
        *,
        stage: str | None = None,
        delay: float | None = None,
        recipients: Iterable[str] | None = None,
    ) -> None:
        """Switch behaviour; takes effect for the next reply at ``stage``.

        stage: where to fail or hang; default "MAIL" for tempfail/permfail,
            "CONNECT" (no banner) for hang.
        delay: hang only; seconds before the reply is sent (default: never).
            Shorter than the client's timeout = a slow but working server.
        recipients: RCPT stage only; refuse/hang just these addresses.
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        if stage is None:
            stage = "CONNECT" if mode == "hang" else "MAIL"
        stage = stage.upper()
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, not {stage!r}")
        if stage == "TCP" and mode != "hang":
            raise ValueError('stage "TCP" only exists for mode "hang"')
        self._rule = _Rule(
            mode=mode,
            stage=stage,
            delay=NEVER if delay is None else float(delay),
            recipients=None if recipients is None else frozenset(a.lower() for a in recipients),
        )
        if mode == "down":
            self.stop()
        elif mode == "hang" and stage == "TCP":
            self._become_blackhole()
        else:
            self.start()

    # Shorthands
    def accept(self) -> None:
        self.set_mode("accept")

    def tempfail(self, stage: str = "MAIL", **kwargs: Any) -> None:
        self.set_mode("tempfail", stage=stage, **kwargs)

    def permfail(self, stage: str = "MAIL", **kwargs: Any) -> None:
        self.set_mode("permfail", stage=stage, **kwargs)

    def hang(self, stage: str = "CONNECT", delay: float | None = None) -> None:
        self.set_mode("hang", stage=stage, delay=delay)

    def down(self) -> None:
        self.set_mode("down")

    # -- received mail ---------------------------------------------------------
    def wait_for_messages(self, count: int = 1, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Block until ``count`` messages arrived (for senders in other threads/processes)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} message(s), got {len(self.messages)}")
                self._lock.wait(left)
            return list(self.messages)

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self.connections = 0

    def __iter__(self) -> Iterator[ReceivedMessage]:
        return iter(list(self.messages))

    def __len__(self) -> int:
        return len(self.messages)

    # -- internals -------------------------------------------------------------
    def _store(self, msg: ReceivedMessage) -> None:
        with self._lock:
            self.messages.append(msg)
            self._lock.notify_all()

    def _count_connection(self) -> None:
        with self._lock:
            self.connections += 1

    def _become_blackhole(self) -> None:
        """Keep the port bound but let no TCP handshake complete.

        A listening socket that never accept()s with a backlog of 0: once one
        connection of our own fills the accept queue, Linux drops further SYNs,
        so the client's connect() times out.
        """
        if self._blackhole:
            return
        if self.port == 0:
            raise RuntimeError("start() the server once before hang(stage='TCP')")
        self.stop()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(0)
        self._blackhole.append(listener)
        for _ in range(8):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.settimeout(0.2)
            try:
                filler.connect((self.host, self.port))
            except OSError:  # the queue is full: the SYN went unanswered
                filler.close()
                return
            self._blackhole.append(filler)
        self._close_blackhole()
        raise RuntimeError("could not fill the accept queue for hang(stage='TCP')")

    def _close_sessions(self) -> None:
        for session in list(self._live):
            if session.transport is not None:
                session.transport.close()

    def _close_blackhole(self) -> None:
        while self._blackhole:
            self._blackhole.pop().close()


# -- pytest fixture ------------------------------------------------------------


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SMTPTestServer]:
    """A started SMTPTestServer, with Django's SMTP backend pointed at it."""
    server = SMTPTestServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""  # the server offers no AUTH
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 2
    try:
        yield server
    finally:
        server.stop()
