"""L4: the interface and every mail in English or German, the language following the
account's choice or, without one, the browser's; the German catalogue complete."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pyotp
from django.core import mail as django_mail
from django.core.management import call_command
from django.test import Client

from deskguard.accounts.models import Kind, User
from tests.conftest import PASSWORD, code_step, signin
from tests.html import parse

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "deskguard" / "locale" / "de" / "LC_MESSAGES" / "django.po"
GERMAN_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9,en;q=0.5"}
# Words of the English templates and notices: none may be left in a German mail.
ENGLISH = (
    "Hello",
    "When:",
    "Address:",
    "If this was not you",
    "This message was sent by",
    "recovery code",
    "authenticator app",
    "Open your Security page",
    "Two-factor authentication",
)


def gettext_tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} (GNU gettext) is needed to check the catalogues: apt-get install gettext"
    return path


def lang_of(page: bytes) -> str | None:
    return parse(page).one("html").attr("lang")


def text_of(page: bytes) -> str:
    """What a reader sees of the page (its body's text, spaces collapsed)."""
    return parse(page).texts("body")[0]


# -- the catalogue ---------------------------------------------------------------------


def test_l4_the_german_catalogue_has_no_untranslated_or_fuzzy_entry():
    stats = subprocess.run(
        [gettext_tool("msgfmt"), "--check", "--statistics", "-o", "/dev/null", str(CATALOGUE)],
        capture_output=True,
        text=True,
    )
    assert stats.returncode == 0, stats.stderr
    # e.g. "574 translated messages." — nothing fuzzy, nothing untranslated.
    assert re.fullmatch(r"\d+ translated messages?\.\n", stats.stderr), stats.stderr


def test_l4_every_string_of_the_code_and_templates_is_in_the_german_catalogue(
    tmp_path, settings, monkeypatch
):
    """The strings as `make messages` extracts them today, from a copy of the sources
    into a scratch catalogue (the committed one is never written), compared with the
    committed one: a msgid missing there (or only fuzzy, or untranslated) fails with
    its location."""
    gettext_tool("xgettext")
    sources = tmp_path / "src"
    shutil.copytree(
        ROOT / "deskguard",
        sources / "deskguard",
        ignore=shutil.ignore_patterns("locale", "__pycache__", "static"),
    )
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(sources)
    call_command("makemessages", locale=["de"], no_obsolete=True, verbosity=0)
    extracted = tmp_path / "locale" / "de" / "LC_MESSAGES" / "django.po"
    assert extracted.read_text().count("\nmsgid ") > 100  # the extraction did find them
    compared = subprocess.run(
        [gettext_tool("msgcmp"), str(CATALOGUE), str(extracted)],
        capture_output=True,
        text=True,
    )
    assert compared.returncode == 0, compared.stderr


# -- which language a page is in -------------------------------------------------------


def test_l4_a_signed_out_visitor_gets_the_language_of_their_browser(db):
    german = Client(**GERMAN_BROWSER).get("/portal/signin/")
    assert german.status_code == 200
    assert lang_of(german.content) == "de"
    assert german["Content-Language"] == "de"
    assert "Accept-Language" in german["Vary"]
    assert "Anmeldung im Kundenportal" in text_of(german.content)
    assert "Passwort vergessen?" in text_of(german.content)

    english = Client().get("/portal/signin/")
    assert lang_of(english.content) == "en"
    assert "Sign in to the Customer Portal" in text_of(english.content)
    # A language we do not have falls back to English.
    other = Client(HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").get("/portal/signin/")
    assert lang_of(other.content) == "en"


def test_l4_an_english_account_stays_english_in_a_german_browser(make_user):
    user = make_user(Kind.AGENT, language="en")
    browser = Client(**GERMAN_BROWSER)
    assert "Anmeldung" in text_of(browser.get("/agent/signin/").content)  # signed out
    assert signin(browser, user).status_code == 302
    page = browser.get("/agent/")
    assert lang_of(page.content) == "en"
    assert page["Content-Language"] == "en"
    assert "Tickets" in text_of(page.content) and "Sign out" in text_of(page.content)
    assert "Abmelden" not in text_of(page.content)


def test_l4_the_profile_language_setting_changes_the_interface(contact_client, contact):
    page = contact_client.get("/portal/profile/")
    assert lang_of(page.content) == "en"
    assert "My Profile" in text_of(page.content)
    saved = contact_client.post(
        "/portal/profile/", {"name": contact.name, "time_zone": "", "language": "de"}, follow=True
    )
    contact.refresh_from_db()
    assert contact.language == "de"
    assert lang_of(saved.content) == "de"
    # The confirmation is already in the new language.
    assert "Ihr Profil ist gespeichert." in text_of(saved.content)
    assert "Mein Profil" in text_of(saved.content)
    tickets = contact_client.get("/portal/")
    assert "Meine Tickets" in text_of(tickets.content)
    # Back to "as my browser asks": this browser asks for nothing, so English again.
    contact_client.post("/portal/profile/", {"name": contact.name, "time_zone": "", "language": ""})
    assert lang_of(contact_client.get("/portal/").content) == "en"


def test_l4_an_account_without_a_choice_follows_its_browser(make_user):
    user = make_user(Kind.CONTACT)
    browser = Client(**GERMAN_BROWSER)
    assert signin(browser, user).status_code == 302
    page = browser.get("/portal/profile/")
    assert lang_of(page.content) == "de"
    assert "Wie mein Browser es anfragt" in text_of(page.content)


# -- a German-speaking contact, from enrollment to every mail --------------------------


def mails_to(user: User, deliver) -> list[django_mail.EmailMessage]:
    return [m for m in deliver() if user.email in m.to]


def assert_german(message: django_mail.EmailMessage) -> None:
    html = next(body for body, kind in message.alternatives if kind == "text/html")
    assert '<html lang="de">' in html
    for part in (message.subject, message.body, html):
        for word in ENGLISH:
            assert word not in part, (word, message.subject, part)
    assert "Diese Nachricht wurde von" in html


def test_l4_a_german_speaking_contact_enrols_signs_in_and_reads_every_mail_in_german(
    make_user, admin_client, deliver
):
    carol = make_user(Kind.CONTACT, email="karla@example.com", name="Karla", language="de")
    browser = Client()  # the browser asks for nothing: the account's choice decides
    assert signin(browser, carol).status_code == 302

    # Enrollment, in German.
    page = browser.get("/portal/profile/security/enable/")
    assert lang_of(page.content) == "de"
    assert "Zwei-Faktor-Authentifizierung einrichten" in text_of(page.content)
    assert "Installieren Sie eine Authenticator-App." in text_of(page.content)
    secret = re.search(rb'data-copy-text="([A-Z2-7]{32})"', page.content).group(1).decode()
    wrong = browser.post("/portal/profile/security/enable/", {"code": "000000"})
    assert "Dieser Code stimmt nicht." in text_of(wrong.content)
    enrolled = browser.post("/portal/profile/security/enable/", {"code": pyotp.TOTP(secret).now()})
    codes_page = browser.get(enrolled["Location"])
    assert "Speichern Sie Ihre Wiederherstellungscodes" in text_of(codes_page.content)
    codes = re.findall(
        rb"<li>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</li>", codes_page.content
    )
    saved = browser.post(enrolled["Location"], {"saved": "on"}, follow=True)
    assert "Ihre Wiederherstellungscodes sind gespeichert" in text_of(saved.content)
    assert "Letzte Sicherheitsaktivität" in text_of(saved.content)

    # Signing in again: the code step, a recovery code, its notice.
    browser.post("/portal/signout/")
    step = code_step(browser, carol)
    challenge = browser.get(step)
    assert lang_of(challenge.content) == "de"
    assert "Geben Sie den 6-stelligen Code" in text_of(challenge.content)
    refused = browser.post(step, {"code": "000000"})
    assert "Dieser Code ist nicht korrekt." in text_of(refused.content)
    passed = browser.post(step, {"code": codes[0].decode()}, follow=True)
    assert "Sie haben sich mit einem Wiederherstellungscode angemeldet; 9 bleiben übrig." in (
        text_of(passed.content)
    )

    # An administrator (an English account) resends codes; Karla forgets her password.
    assert admin_client.post(f"/agent/admin/contacts/{carol.pk}/resend-codes/").status_code == 302
    assert "New recovery codes were emailed to karla@example.com." in text_of(
        admin_client.get("/agent/admin/contacts/").content
    )
    Client().post("/portal/password-reset/", {"email": carol.email})

    mails = mails_to(carol, deliver)
    subjects = [m.subject.split("] ", 1)[1] for m in mails]
    assert subjects == [
        "Die Zwei-Faktor-Authentifizierung ist eingeschaltet",
        "Ein Wiederherstellungscode wurde verwendet",
        "Ihre neuen Wiederherstellungscodes",
        "Setzen Sie Ihr Passwort zurück",
    ]
    for message in mails:
        assert_german(message)
    enrolled_mail, used_mail, resent_mail, reset_mail = mails
    assert "Hallo Karla," in enrolled_mail.body
    assert "Wann:" in enrolled_mail.body and "Ihre Sicherheitsseite öffnen:" in enrolled_mail.body
    assert "9 unbenutzte Codes bleiben übrig." in used_mail.body
    assert "Ihre Wiederherstellungscodes (jeder funktioniert einmal):" in resent_mail.body
    assert "Wählen Sie hier ein neues Passwort:" in reset_mail.body

    mailed_codes = re.findall(r"[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}", resent_mail.body)

    # Turning 2FA off herself: the last notice, in German too.
    browser.post(
        "/portal/profile/security/disable/",
        {"password": PASSWORD, "code": mailed_codes[0]},  # the app's code was used
    )
    last = mails_to(carol, deliver)[-1]
    assert last.subject.endswith("Die Zwei-Faktor-Authentifizierung ist ausgeschaltet")
    assert "Sie haben die Zwei-Faktor-Authentifizierung für Ihr Konto ausgeschaltet." in last.body
    assert_german(last)


def test_l4_an_invitation_goes_out_in_the_language_of_the_account_when_it_is_sent(
    admin_client, deliver
):
    """Texts are made by the worker (H3): an account whose language is set before the
    invitation leaves reads it in that language; one without, in the site's."""
    admin_client.post(
        "/agent/admin/accounts/new/", {"kind": "contact", "email": "dora@example.com", "name": ""}
    )
    admin_client.post(
        "/agent/admin/accounts/new/", {"kind": "contact", "email": "erin@example.com", "name": ""}
    )
    User.objects.filter(email="dora@example.com").update(language="de")
    mails = {m.to[0]: m for m in deliver()}
    dora, erin = mails["dora@example.com"], mails["erin@example.com"]
    assert dora.subject.endswith("Sie sind eingeladen")
    assert "Hallo," in dora.body
    assert "hat Sie in das Kundenportal von" in dora.body
    assert_german(dora)
    assert erin.subject.endswith("You are invited")
    assert "Hello," in erin.body


def test_l4_an_administrator_chooses_the_language_of_an_invitation(admin_client, deliver):
    """L4, A6: the invite form asks for the new account's language, so the invitation
    reaches a German reader in German without anyone editing the account afterwards;
    the choice stays the account's own (its profile page can change it)."""
    response = admin_client.post(
        "/agent/admin/accounts/new/",
        {"kind": "contact", "email": "frieda@example.com", "name": "", "language": "de"},
    )
    assert response.status_code == 302
    assert User.objects.get(email="frieda@example.com").language == "de"
    [frieda] = deliver()
    assert frieda.subject.endswith("Sie sind eingeladen")
    assert_german(frieda)


def test_l4_an_invitation_in_an_unknown_language_is_refused_and_creates_nothing(
    admin_client, deliver
):
    response = admin_client.post(
        "/agent/admin/accounts/new/",
        {"kind": "contact", "email": "gustav@example.com", "name": "", "language": "xx"},
    )
    assert response.status_code == 400
    error = parse(response.content).by_id("id_language_error").text
    assert "Select a valid choice. xx is not one of the available choices." in error
    assert not User.objects.filter(email="gustav@example.com").exists()
    assert deliver() == []


def test_l4_a_refusal_before_any_account_is_known_speaks_the_browsers_language(db):
    """I4's 413 is answered before the session is read: the browser's language only."""
    response = Client(**GERMAN_BROWSER).request(
        REQUEST_METHOD="POST",
        PATH_INFO="/portal/signin/",
        QUERY_STRING="",
        CONTENT_TYPE="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(5 * 1024 * 1024),
        **{"wsgi.input": io.BytesIO(b"")},
    )
    assert response.status_code == 413
    assert lang_of(response.content) == "de"
    assert "Anfrage zu groß" in text_of(response.content)
    assert "höchstens 1 MiB" in text_of(response.content)
