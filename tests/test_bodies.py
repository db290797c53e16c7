"""I4: request bodies are size-limited and no view writes an upload to disk.

No page of deskguard has a file input, yet Django's default upload handlers wrote any
file part of a multipart body to the temporary directory while the CSRF middleware
looked for its token: an anonymous client with a CSRF cookie (one GET of the sign-in
page) could make every worker write hundreds of megabytes to disk before the 403.

The body goes in through the WSGI input as a server hands it over, and that input
looks into FILE_UPLOAD_TEMP_DIR each time the application reads from it: Django
deletes upload files when the response closes, so only a look *during* the request
tells whether anything was written."""

from __future__ import annotations

import io
import re
import socket
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from deskguard.tickets.models import Ticket
from tests.conftest import PASSWORD
from tests.servers import gunicorn

MiB = 1024 * 1024


class WatchedBody(io.RawIOBase):
    """The request body, read by the application; notes what the temporary directory
    holds after every read and how many bytes the application consumed."""

    def __init__(self, data: bytes, temp_dir: Path) -> None:
        self._data = io.BytesIO(data)
        self._temp_dir = temp_dir
        self.consumed = 0
        self.seen_on_disk: set[str] = set()

    def _look(self, chunk: bytes) -> bytes:
        self.consumed += len(chunk)
        self.seen_on_disk |= {path.name for path in self._temp_dir.iterdir()}
        return chunk

    def read(self, size: int | None = -1) -> bytes:
        return self._look(self._data.read(size))

    def readline(self, size: int | None = -1) -> bytes:
        return self._look(self._data.readline(size))


@pytest.fixture
def temp_dir(settings, tmp_path) -> Path:
    folder = tmp_path / "uploads"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


def post_body(
    client: Client, path: str, data: bytes, content_type: str, temp_dir: Path
) -> tuple[HttpResponse, WatchedBody]:
    body = WatchedBody(data, temp_dir)
    response = client.request(
        REQUEST_METHOD="POST",
        PATH_INFO=path,
        QUERY_STRING="",
        CONTENT_TYPE=content_type,
        CONTENT_LENGTH=str(len(data)),
        **{"wsgi.input": body},
    )
    return response, body


def multipart(fields: dict[str, object]) -> bytes:
    return encode_multipart(BOUNDARY, fields)


def a_file(size: int) -> SimpleUploadedFile:
    return SimpleUploadedFile("invoice.pdf", b"%PDF" + b"\0" * (size - 4), "application/pdf")


def csrf_token(client: Client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200
    return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)[1].decode()


def assert_refused_as_too_large(response: HttpResponse, body: WatchedBody) -> None:
    assert body.seen_on_disk == set(), "an upload was written to the temporary directory"
    assert response.status_code == 413
    assert b"Request too large" in response.content
    assert b"1 MiB" in response.content
    assert body.consumed == 0, "refused on its Content-Length, before reading it"
    assert "Content-Security-Policy" in response, "the usual headers are on the refusal too"


def test_i4_an_anonymous_multipart_body_of_several_mb_is_refused_before_it_is_read(
    db, temp_dir, contact
):
    """The reproduced attack: a CSRF cookie from the sign-in page, then 5 MB."""
    browser = Client(enforce_csrf_checks=True)
    token = csrf_token(browser, "/portal/signin/")
    data = multipart(
        {"file": a_file(5 * MiB), "email": contact.email, "password": PASSWORD,
         "csrfmiddlewaretoken": token}
    )  # fmt: skip
    response, body = post_body(browser, "/portal/signin/", data, MULTIPART_CONTENT, temp_dir)
    assert_refused_as_too_large(response, body)
    assert "_auth_user_id" not in browser.session
    assert list(temp_dir.iterdir()) == []


def test_i4_a_signed_in_multipart_body_of_several_mb_is_refused(temp_dir, contact_client):
    data = multipart({"subject": "Printer", "body": "Help", "attachment": a_file(5 * MiB)})
    response, body = post_body(
        contact_client, "/portal/tickets/new/", data, MULTIPART_CONTENT, temp_dir
    )
    assert_refused_as_too_large(response, body)
    assert not Ticket.objects.exists()
    assert contact_client.get("/portal/").status_code == 200, "still signed in"


def test_i4_a_large_form_without_a_file_is_refused_too(temp_dir, contact_client):
    """The limit is on the body, whatever its type (the default allowed 2.5 MB of
    form fields, and any size of file)."""
    data = b"subject=Printer&body=" + b"a" * (2 * MiB)
    response, body = post_body(
        contact_client,
        "/portal/tickets/new/",
        data,
        "application/x-www-form-urlencoded",
        temp_dir,
    )
    assert_refused_as_too_large(response, body)
    assert not Ticket.objects.exists()


def test_i4_a_small_file_part_is_refused_and_never_written(settings, temp_dir, contact_client):
    """Under the size limit a file part is still refused: no form takes files. With
    FILE_UPLOAD_MAX_MEMORY_SIZE at 0, Django's default handlers would write even this
    one to disk."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    data = multipart({"subject": "Printer", "body": "Help", "attachment": a_file(100_000)})
    response, body = post_body(
        contact_client, "/portal/tickets/new/", data, MULTIPART_CONTENT, temp_dir
    )
    assert body.seen_on_disk == set(), "an upload was written to the temporary directory"
    assert response.status_code == 400
    assert b"This site takes no file uploads." in response.content
    assert not Ticket.objects.exists()
    assert list(temp_dir.iterdir()) == []


@pytest.mark.parametrize("length", ["many", "-1", "1e9"])
def test_i4_a_malformed_content_length_is_a_400(temp_dir, contact_client, length):
    response = contact_client.request(
        REQUEST_METHOD="POST",
        PATH_INFO="/portal/tickets/new/",
        QUERY_STRING="",
        CONTENT_TYPE="application/x-www-form-urlencoded",
        CONTENT_LENGTH=length,
        **{"wsgi.input": io.BytesIO(b"subject=Printer&body=Help")},
    )
    assert response.status_code == 400
    assert b"Content-Length" in response.content
    assert not Ticket.objects.exists()


def test_i4_the_largest_ticket_the_form_allows_still_goes_through(temp_dir, contact_client):
    """20,000 characters of four UTF-8 bytes each, percent-encoded: about 240 kB, the
    largest legitimate body, well under the 1 MiB limit."""
    text = "\U0001f5a8" * 20_000
    response = contact_client.post(
        "/portal/tickets/new/", {"subject": "Printer", "body": text}
    )  # multipart, as the test client (and a browser form with enctype) sends it
    assert response.status_code == 302, response.content[:500]
    assert Ticket.objects.get().messages.get().body == text


def test_i4_forms_still_work_with_csrf_enforced(db, temp_dir, contact):
    """Sign-in, urlencoded as a browser sends it, then a ticket."""
    browser = Client(enforce_csrf_checks=True)
    token = csrf_token(browser, "/portal/signin/")
    response = browser.post(
        "/portal/signin/",
        urlencode({"email": contact.email, "password": PASSWORD, "csrfmiddlewaretoken": token}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 302
    token = csrf_token(browser, "/portal/tickets/new/")
    response = browser.post(
        "/portal/tickets/new/",
        {"subject": "Printer", "body": "It is on fire", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert Ticket.objects.get().subject == "Printer"
    assert list(temp_dir.iterdir()) == []


def test_i4_a_real_server_answers_413_to_300_mb_before_the_body_arrives(tmp_path):
    """The finding as reproduced: an anonymous client announces 300 MB of multipart with
    a CSRF cookie of its own making (any 32 letters pass the format check, and then the
    CSRF middleware parsed the body to look for the token). It sends the first MiB and
    waits: the answer must already be there, and the server's temporary directory
    empty. Before, the worker sat writing the file there, waiting for the rest."""
    server_tmp = tmp_path / "server-tmp"
    server_tmp.mkdir()
    with gunicorn(tmp_path, TMPDIR=str(server_tmp), SQLITE_PATH=str(tmp_path / "db")) as server:
        head = (
            "POST /portal/signin/ HTTP/1.1\r\n"
            f"Host: {server.host}:{server.port}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            f"Content-Length: {300 * MiB}\r\n"
            f"Cookie: dgcsrf={'a' * 32}\r\n"
            "\r\n"
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="file"; filename="big.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        with socket.create_connection((server.host, server.port), timeout=5) as sock:
            sock.sendall(head.encode())
            try:
                sock.sendall(b"\0" * MiB)
            except OSError:
                pass  # the server may already have answered and closed
            answer = b""
            try:
                while b"\r\n\r\n" not in answer:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
            except TimeoutError:
                pass
            on_disk = sorted(path.name for path in server_tmp.rglob("*"))
        assert on_disk == [], "the upload was being written to the temporary directory"
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200] or "no answer within 5 s"
