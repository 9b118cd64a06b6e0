"""Meta's own voice: other people's words in Meta's genuine mails (comments, messages, tags, group posts, replies,
quoted blocks, attachments) never make a confirmation — in every catalogue language and framing — and are shown as a
warning instead. Crafted as an attacker would: the notifications below are verified by the provider."""

from __future__ import annotations

import json
import mailbox
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest
from helpers import run_json, statuses, write_config
from mailbuilder import DE_CONFIRMATION, DKIM_SIGNATURE, EN_CONFIRMATION, OUTLOOK_PASS, mail

from verifier.model import Kind, Trust
from verifier.recognise.catalogue import languages
from verifier.scan import classify_raw

EN_QUOTE = (
    "We will honor your objection for your public information. This means that we won't use your public information "
    "from Facebook and Instagram for future development and improvement of generative AI models. We will also honour "
    "your objection for any other accounts that you've added to the same Accounts Center as this account."
)
DE_QUOTE = (
    "Wir erkennen deinen Einspruch an. Wir werden deine öffentlichen Informationen nicht für die zukünftige "
    "Entwicklung und Verbesserung generativer KI-Modelle verwenden und deinem Widerspruch auch für alle Konten "
    "nachkommen, die du derselben Kontenübersicht hinzugefügt hast."
)
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mails"
IG_SENDER = "Instagram <no-reply@mail.instagram.com>"
FOOTER = "\n\nThis message was sent to {to} and intended for {user}.\n"


def _confirmation_words(code: str) -> str:
    """A confirmation in the words of one catalogue language: its strong phrases and weak ones, as sentences."""
    language = next(lang for lang in languages() if lang.code == code)
    phrases = language.kinds["confirmation"]
    return ". ".join([*phrases.strong, *phrases.weak]) + "."


def _framings() -> list[tuple[str, str, str]]:
    return [
        (language.code, what, phrase)
        for language in languages()
        for what, phrases in language.notifications.items()
        for phrase in phrases
    ]


def test_every_catalogue_language_frames_the_kinds_of_other_peoples_words():
    for language in languages():
        assert {"comment", "message", "tag", "group_post", "reply"} <= set(language.notifications), language.code
        assert set(language.signals) == {"objection", "not_use", "ai", "accounts_center"}, language.code


@pytest.mark.parametrize(("code", "what", "framing"), _framings(), ids=lambda v: str(v))
def test_confirmation_wording_inside_any_notification_never_counts(code: str, what: str, framing: str):
    """Every framing in every language, around that language's full confirmation wording, verified by the provider."""
    body = "Hi lord.canterville,\n\nanna.schmidt " + framing + ' "' + _confirmation_words(code) + '"' + FOOTER
    found = classify_raw(mail(body))
    assert found.trust is Trust.VERIFIED  # a genuine notification: the words are still not Meta's
    assert found.kind is not Kind.CONFIRMATION, found.reasons
    assert found.notification == what
    assert found.quoted is Kind.CONFIRMATION


NOTIFICATION_BODIES = {
    "en comment": 'Hi lord.canterville,\n\nanna.schmidt commented on your post: "' + EN_QUOTE + '"' + FOOTER,
    "en message": "Hi lord.canterville,\n\nanna.schmidt sent you a message:\n\n" + EN_QUOTE + FOOTER,
    "en tag": "Hi lord.canterville,\n\nanna.schmidt tagged you in a post: " + EN_QUOTE + FOOTER,
    "en group post": "Hi lord.canterville,\n\nAnna Schmidt posted in Canterville Ghosts: " + EN_QUOTE + FOOTER,
    "en reply": "Hi lord.canterville,\n\nanna.schmidt replied to your comment: «" + EN_QUOTE + "»" + FOOTER,
    "de comment": "Hallo lord.canterville,\n\nanna.schmidt hat deinen Beitrag kommentiert: „" + DE_QUOTE + "“" + FOOTER,
    "de message": "Hallo lord.canterville,\n\nAnna Schmidt hat dir eine Nachricht gesendet: " + DE_QUOTE + FOOTER,
    "de tag": "Hallo lord.canterville,\n\nanna.schmidt hat dich markiert: " + DE_QUOTE + FOOTER,
    "de group post": "Hallo Lord,\n\nAnna Schmidt hat in der Gruppe Gespenster etwas gepostet: " + DE_QUOTE + FOOTER,
    "de reply": "Hallo lord.canterville,\n\nanna.schmidt hat auf deinen Kommentar geantwortet: " + DE_QUOTE + FOOTER,
    # the comment in the subject too, and no quotes at all: the framing alone decides
    "en unquoted": "Hi lord.canterville,\n\nNew comment\n\nanna.schmidt: " + EN_QUOTE + FOOTER,
}


@pytest.mark.parametrize("name", sorted(NOTIFICATION_BODIES))
def test_notifications_quoting_the_confirmation_are_never_evidence(name: str):
    found = classify_raw(mail(NOTIFICATION_BODIES[name], subject="anna.schmidt: " + EN_QUOTE[:60]))
    assert found.kind is Kind.UNRELATED and found.quoted is Kind.CONFIRMATION, found.reasons


@pytest.mark.parametrize("html_only", [False, True])
def test_a_quoted_passage_without_known_framing_is_not_metas_voice(html_only: bool):
    """An unknown notification kind ("… reacted in a story"): the quoted passage is still someone else's words."""
    body = 'Hi lord.canterville,\n\nanna.schmidt did something new: "' + EN_QUOTE + '"' + FOOTER
    found = classify_raw(mail(body, html=html_only))
    assert found.kind is not Kind.CONFIRMATION
    assert found.quoted is Kind.CONFIRMATION


def _mime(parts: list[tuple[str, str, str | None]], *, sender: str = IG_SENDER) -> bytes:
    message = EmailMessage()
    domain = sender.rpartition("@")[2].rstrip(">")
    message["Authentication-Results"] = OUTLOOK_PASS.format(domain=domain)
    message["DKIM-Signature"] = DKIM_SIGNATURE.format(domain=domain)
    message["From"] = sender
    message["To"] = "lord.canterville@outlook.de"
    message["Subject"] = "Neue Aktivität"
    message["Date"] = "Tue, 20 May 2025 08:00:00 +0000"
    message["Message-ID"] = "<voice-test@mail.instagram.com>"
    message.set_content("Hallo lord.canterville,\n\ndu hast neue Aktivität.\n")
    for text, subtype, filename in parts:
        if subtype == "rfc822":
            inner = EmailMessage()
            inner["From"] = "Instagram <no-reply@mail.instagram.com>"
            inner["Subject"] = "Dein Widerspruch"
            inner.set_content(text)
            message.add_attachment(inner)
        elif subtype == "blockquote":
            message.add_alternative(f"<p>Hallo lord.canterville,</p><blockquote>{text}</blockquote>", subtype="html")
        else:
            message.add_attachment(text.encode(), maintype="text", subtype=subtype, filename=filename)
    return message.as_bytes(policy=SMTP)


@pytest.mark.parametrize(
    "parts",
    [
        [(DE_CONFIRMATION.format(user="lord.canterville", to="x"), "rfc822", None)],
        [(DE_CONFIRMATION.format(user="lord.canterville", to="x"), "plain", "kommentar.txt")],
        [(EN_CONFIRMATION.format(user="lord.canterville", to="x"), "html", "post.html")],
        [(DE_QUOTE, "blockquote", None)],
    ],
    ids=["attached-message", "text-attachment", "html-attachment", "blockquote"],
)
def test_confirmation_in_attachments_or_blockquotes_of_a_verified_meta_mail_never_counts(parts):
    found = classify_raw(_mime(parts))
    assert found.trust is Trust.VERIFIED
    assert found.kind is not Kind.CONFIRMATION, found.reasons
    if parts[0][1] == "rfc822":  # an attached message is read for forwards, so its wording is seen and warned about
        assert found.quoted is Kind.CONFIRMATION


def test_the_same_words_as_metas_own_inline_text_are_a_confirmation():
    """The control for the test above: the tool does read a verified inline confirmation."""
    found = classify_raw(mail(DE_CONFIRMATION, html=True))
    assert (found.kind, found.trust) == (Kind.CONFIRMATION, Trust.VERIFIED)


def test_plain_text_quoted_lines_are_not_metas_voice():
    quoted = "\n".join("> " + line for line in EN_CONFIRMATION.format(user="x", to="y").splitlines())
    found = classify_raw(mail("Hi lord.canterville,\n\nSomeone wrote:\n" + quoted + FOOTER))
    assert found.kind is not Kind.CONFIRMATION and found.quoted is Kind.CONFIRMATION


@pytest.mark.parametrize("template", [DE_CONFIRMATION, EN_CONFIRMATION])
def test_genuine_confirmations_with_a_short_quoted_label_stay_confirmations(template: str):
    body = template + '\nTap "Learn more" for details.\n'
    found = classify_raw(mail(body, html=True))
    assert (found.kind, found.trust, found.quoted) == (Kind.CONFIRMATION, Trust.VERIFIED, None)


def _maildir(directory: Path, mails: list[bytes]) -> Path:
    box = mailbox.Maildir(directory / "Maildir", create=True)
    for raw in mails:
        box.add(raw)
    box.close()
    return directory / "Maildir"


@pytest.mark.parametrize("name", ["en comment", "de comment", "de message", "en tag"])
@pytest.mark.parametrize("strict", [False, True])
def test_check_never_confirms_a_group_from_a_notification(tmp_path: Path, name: str, strict: bool):
    box = _maildir(tmp_path, [mail(NOTIFICATION_BODIES[name], subject="anna.schmidt commented on your post")])
    config = write_config(tmp_path)
    args = ["--config", str(config), "check", "--no-archive", "--mailbox", f"maildir:{box}"]
    code, document = run_json(*args, *(["--strict"] if strict else []))
    assert code == 1
    assert statuses(document)["Privat"] == "missing"
    assert [w["quoted"] for w in document["quoted"]] == ["confirmation"]
    result = run_json(*args)[1]
    assert result["quoted"][0]["notification"] in {"comment", "message", "tag"}


def test_the_report_warns_that_someone_quoted_metas_confirmation(tmp_path: Path):
    from helpers import run

    box = _maildir(tmp_path, [mail(NOTIFICATION_BODIES["de comment"], subject="anna.schmidt hat kommentiert")])
    config = write_config(tmp_path)
    for lang, words in (("de", "Meta-Benachrichtigung (Kommentar)"), ("en", "Meta notification (comment)")):
        result = run("--lang", lang, "--config", str(config), "check", "--no-archive", "--mailbox", f"maildir:{box}")
        assert result.exit_code == 1
        assert words in result.stdout


@pytest.mark.parametrize(
    "body",
    [
        "Hi lord.canterville,\n\nAnna Schmidt invited you to like We will honour your objection added to the same "
        "Accounts Centre.\n",
        "Hallo Lord,\n\nAnna Schmidt hat dich eingeladen, Wir erkennen deinen Einspruch an - derselben Kontenübersicht "
        "hinzugefügt - zu abonnieren.\n",
    ],
    ids=["en page name", "de page name"],
)
def test_a_page_or_group_name_someone_chose_is_not_metas_voice(body: str):
    """Names of Pages, groups and events are written by whoever created them, and Meta's mails print them unquoted."""
    found = classify_raw(mail(body))
    assert found.kind is not Kind.CONFIRMATION and found.notification == "invite"


def test_over_imap_a_verified_comment_notification_never_confirms(dovecot, tmp_path: Path):
    """The headline attack end to end on a real Dovecot: the comment notification, in Junk and INBOX, with --strict."""
    from helpers import PASSWORD_ENV, imap_config

    for folder in ("INBOX", "Junk"):
        dovecot.deliver(mail(NOTIFICATION_BODIES["en comment"], subject="anna.schmidt commented on your post"), folder)
    dovecot.deliver(mail(NOTIFICATION_BODIES["de message"], user="bello.der.hund"), "INBOX")
    config = imap_config(tmp_path, dovecot)
    code, document = run_json("--config", str(config), "check", "--strict", "--no-archive", env=PASSWORD_ENV)
    assert code == 1
    assert statuses(document) == {"Privat": "missing", "Bello": "missing", "Verein": "missing"}
    assert {q["notification"] for q in document["quoted"]} == {"comment", "message"}


@pytest.mark.parametrize("code", ["de", "en", "fr", "it", "es", "nl", "pl"])
def test_no_framing_occurs_in_any_genuine_fixture_of_metas_own_flow(code: str):
    """A framing that a real confirmation, receipt, code or rejection could contain would turn it into "missing"."""
    from verifier.recognise.mailtext import normalise, parse_mail
    from verifier.recognise.ownwords import notification_kind

    for path in sorted(FIXTURES.glob("*.eml")):
        expected = json.loads(path.with_name(path.stem + ".expected.json").read_text("utf-8"))
        if expected["kind"] in ("unrelated", "announcement") or expected["language"] != code:
            continue
        parsed = parse_mail(path.read_bytes())
        assert notification_kind(normalise(parsed.subject + "\n" + parsed.text)) is None, path.name


@pytest.mark.parametrize("where", ["quoted lines", "quoted passage", "attached message"])
def test_wording_only_in_a_quote_without_known_framing_is_unclear_with_a_caution(tmp_path: Path, where: str):
    """Whose words they are is unknown (a notification kind the catalogue does not know yet, or Meta quoting): never
    evidence, never "missing" either — the user reads it, warned that it may be someone else's."""
    confirmation = EN_CONFIRMATION.format(user="lord.canterville", to="x")
    if where == "quoted lines":
        raw = mail("Hi lord.canterville,\n\n" + "\n".join("> " + line for line in confirmation.splitlines()) + FOOTER)
    elif where == "quoted passage":
        raw = mail('Hi lord.canterville,\n\nanna.schmidt did something new: "' + EN_QUOTE + '"' + FOOTER)
    else:
        raw = _mime([(confirmation, "rfc822", None)])
    found = classify_raw(raw)
    assert (found.kind, found.quoted) == (Kind.UNCLEAR, Kind.CONFIRMATION), found.reasons
    box = _maildir(tmp_path, [raw])
    result = run_text(tmp_path, box)
    assert result.exit_code == 1
    assert "Privat: UNCLEAR" in result.stdout.replace("UNCLEAR: OPEN THE MAIL", "UNCLEAR")
    assert "may be someone else's words" in result.stdout


def run_text(tmp_path: Path, box: Path):
    from helpers import run

    config = write_config(tmp_path)
    return run("--lang", "en", "--config", str(config), "check", "--no-archive", "--mailbox", f"maildir:{box}")


def test_a_cron_run_reports_a_new_quoting_notification_once(tmp_path: Path):
    from helpers import run

    box = _maildir(tmp_path, [mail(EN_CONFIRMATION.replace("{user}", "someone"), user="x")])
    config = write_config(tmp_path)
    archive = str(tmp_path / "evidence.sqlite")
    args = ["--lang", "en", "--config", str(config), "check", "--quiet", "--archive", archive]
    args += ["--mailbox", f"maildir:{box}"]
    run(*args)
    mailbox.Maildir(box).add(mail(NOTIFICATION_BODIES["en comment"], subject="anna.schmidt commented on your post"))
    second = run(*args)
    assert "someone quoted Meta's objection wording" in second.stdout
    assert "someone quoted" not in run(*args).stdout  # nothing new: a cron run says nothing
