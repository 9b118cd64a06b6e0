"""`unclear`, never a false `missing`, and no mail that stops a check: reworded or unreadable Meta mails, charsets
and encoded words no codec takes, a boundary off by a byte, a classifier that breaks on one mail, a mailbox that is
no mailbox. Each over the real `check` (and Dovecot for IMAP)."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest
from conftest import require_dovecot
from dovecot_server import DovecotServer
from helpers import PASSWORD_ENV, imap_config, run, run_json, statuses, write_config
from mailbuilder import DE_CONFIRMATION, EN_CONFIRMATION, mail, sign

from verifier.model import Kind, Trust
from verifier.recognise.classify import classify_raw

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mails"
GROUPS = """
[[groups]]
name = "Familie"
accounts = [ { platform = "facebook", username = "anna.lena.schmidt", name = "Anna-Lena Schmidt" } ]
[[groups]]
name = "Marie"
accounts = [ { platform = "instagram", username = "marie.luise_92" } ]
[[groups]]
name = "Privat"
accounts = [ { platform = "instagram", username = "lord.canterville" } ]
"""
REWORDED_EN = (
    "Hi {user},\n\nThanks for your objection. From now on we will no longer use your information for generative AI "
    "at Meta. This covers every account in your Accounts Center.\n\nThis message was sent to {to} and intended for "
    "{user}.\n"
)
ABOUT_OBJECTION_ONLY = (
    "Hallo {user},\n\nzu deinem Widerspruch: wir melden uns bald.\n\nDiese Nachricht ist für {user} bestimmt.\n"
)


def _box(tmp_path: Path, mails: list[bytes]) -> str:
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for raw in mails:
        box.add(raw)
    box.close()
    return f"maildir:{tmp_path / 'Maildir'}"


def _check(tmp_path: Path, mails: list[bytes], *extra: str) -> tuple[int, dict]:
    config = write_config(tmp_path, groups=GROUPS)
    return run_json("--config", str(config), "check", "--no-archive", "--mailbox", _box(tmp_path, mails), *extra)


def test_a_reworded_verified_confirmation_makes_its_group_unclear_and_the_others_stay_as_they_are(tmp_path: Path):
    reworded = (FIXTURES / "unclear_de_2025_reworded.eml").read_bytes()  # greets "Hallo Anna-Lena,"
    # really signed: this mailbox mixes gmx.de and outlook.de recipients, so no provider's header form is known
    confirmed = sign(mail(EN_CONFIRMATION, user="lord.canterville", auth=None, signed=False))
    code, document = _check(tmp_path, [reworded, confirmed])
    assert code == 1
    assert statuses(document) == {"Familie": "unclear", "Marie": "missing", "Privat": "confirmed"}
    unclear = document["groups"][0]["evidence"][0]
    assert (unclear["kind"], unclear["trust"]) == ("unclear", "verified")


def test_the_unclear_step_names_the_mail_to_open_and_what_to_look_for(tmp_path: Path):
    reworded = (FIXTURES / "unclear_de_2025_reworded.eml").read_bytes()
    config = write_config(tmp_path, groups=GROUPS)
    box = _box(tmp_path, [reworded])
    for lang, look_for in (("de", "Öffne sie und schau nach"), ("en", "Open it and look for")):
        result = run("--lang", lang, "--config", str(config), "check", "--no-archive", "--mailbox", box)
        assert result.exit_code == 1
        step = next(line for line in result.stdout.splitlines() if "Familie:" in line and look_for in line)
        assert "Neuigkeiten zu deiner Anfrage" in step and "INBOX" in step and "22" in step  # subject, folder, date
        assert "inspect --anonymise" in step


@pytest.mark.parametrize(
    ("body", "auth"),
    [(REWORDED_EN, "default"), (REWORDED_EN, None), (ABOUT_OBJECTION_ONLY, "default"), (ABOUT_OBJECTION_ONLY, None)],
    ids=["reworded-verified", "reworded-unverified", "vocabulary-verified", "vocabulary-unverified"],
)
def test_a_meta_mail_naming_nobody_makes_every_otherwise_missing_group_unclear(tmp_path: Path, body, auth):
    kwargs = {} if auth == "default" else {"auth": None}
    unknown = mail(body, user="someone.else", **kwargs)
    # really signed: this mailbox mixes gmx.de and outlook.de recipients, so no provider's header form is known
    confirmed = sign(mail(EN_CONFIRMATION, user="lord.canterville", auth=None, signed=False))
    code, document = _check(tmp_path, [unknown, confirmed])
    assert code == 1
    assert statuses(document) == {"Familie": "unclear", "Marie": "unclear", "Privat": "confirmed"}
    assert classify_raw(unknown).kind is Kind.UNCLEAR
    config = write_config(tmp_path, groups=GROUPS)
    text = run("--config", str(config), "check", "--no-archive", "--mailbox", f"maildir:{tmp_path / 'Maildir'}")
    careful = [line for line in text.stdout.splitlines() if "may not be from Meta" in line]
    assert len(careful) == (0 if auth == "default" else 2)  # an unverified one is never taken at its word


def test_reworded_english_hits_every_signal_and_is_unclear_not_a_confirmation():
    found = classify_raw(mail(REWORDED_EN))
    assert found.kind is Kind.UNCLEAR
    assert any(reason.code == "unclear_signals" for reason in found.details)


def test_objection_vocabulary_from_someone_other_than_meta_is_never_unclear():
    found = classify_raw(mail(REWORDED_EN, sender="Verbraucherzentrale <news@verbraucherzentrale.de>"))
    assert found.kind is Kind.UNRELATED


def test_the_announced_2025_german_wording_confirms(tmp_path: Path):
    announced = (FIXTURES / "confirmation_de_2025_announced_wording.eml").read_bytes()
    _code, document = _check(tmp_path, [announced])
    assert statuses(document)["Marie"] == "confirmed"
    promised = (FIXTURES / "announcement_de_2025_promises_confirmation.eml").read_bytes()
    assert classify_raw(promised).kind is Kind.ANNOUNCEMENT  # the announcement that quotes it confirms nothing


@pytest.mark.parametrize("greeting", ["Hallo Anna-Lena,", "Hallo Anna-Lena Schmidt,"])
def test_hyphenated_and_two_part_first_names_find_their_group(tmp_path: Path, greeting: str):
    body = DE_CONFIRMATION.replace("Hallo {user},", greeting).replace("ist für {user} bestimmt", "ist für dich")
    sent = mail(body, sender="Facebook <notification@facebookmail.com>")
    _code, document = _check(tmp_path, [sent])
    assert statuses(document)["Familie"] == "confirmed", classify_raw(sent).accounts


@pytest.mark.parametrize("name", ["Marie Luise", "Zoë", "Jérôme-Élie"])
def test_two_given_names_and_diacritics_are_matched(tmp_path: Path, name: str):
    account = f'{{ platform = "facebook", username = "x.5", name = "{name} Ü" }}'
    groups = f'[[groups]]\nname = "G"\naccounts = [ {account} ]\n'
    body = DE_CONFIRMATION.replace("{user}", name, 1).replace("ist für {user} bestimmt", "ist für dich")
    config = write_config(tmp_path, groups=groups)
    box = _box(tmp_path, [mail(body, sender="Facebook <notification@facebookmail.com>")])
    _, document = run_json("--config", str(config), "check", "--no-archive", "--mailbox", box)
    assert statuses(document) == {"G": "confirmed"}


@pytest.mark.parametrize("domain", ["meta.com", "metamail.com"])
def test_platform_comes_from_the_sender_never_from_a_word_in_the_text(tmp_path: Path, domain: str):
    """A confirmation from meta.com that says "Instagram" is not labelled Instagram: first names still match."""
    body = EN_CONFIRMATION.replace("Hi {user},", "Hi Anna-Lena,").replace("intended for {user}", "intended for you")
    found = classify_raw(mail(body, sender=f"Meta <privacy@{domain}>"))
    assert found.platform is None and found.kind is Kind.CONFIRMATION
    _code, document = _check(tmp_path, [mail(body, sender=f"Meta <privacy@{domain}>")])
    assert statuses(document)["Familie"] == "confirmed"


# -- a mail never stops a check ----------------------------------------------------------------------------------

BAD_CHARSETS = ["idna", "punycode", "undefined", "utf\x008", "rot13", "base64_codec", "zlib", "\xe4", "utf-8\x00"]


def _with_charset(charset: str) -> bytes:
    raw = mail(DE_CONFIRMATION, html=True)
    return raw.replace(b'charset="utf-8"', b'charset="' + charset.encode("latin-1") + b'"')


@pytest.mark.parametrize("charset", BAD_CHARSETS, ids=repr)
def test_a_charset_no_codec_takes_is_read_as_utf8_and_named(charset: str):
    found = classify_raw(_with_charset(charset))
    assert found.kind in (Kind.CONFIRMATION, Kind.UNCLEAR)  # read as UTF-8: the words are still there
    assert found.trust is Trust.VERIFIED


ENCODED_WORDS = [b"=?\xe4?q?x?=", b"=?utf\x008?q?x?=", b"=?idna?q?x=C3=A4?=", b"=?punycode?b?eA==?=",
                 b"=?undefined?q?x?=", b"=?rot13?q?x?=", b"=?utf-8?b?====?=", b"=?utf-8?x?abc?="]


@pytest.mark.parametrize("word", ENCODED_WORDS, ids=repr)
@pytest.mark.parametrize("header", [b"Subject", b"From", b"To"])
def test_encoded_words_with_any_charset_never_stop_a_mail(word: bytes, header: bytes):
    raw = mail(DE_CONFIRMATION)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(header.lower() + b":")]
    value = word + (b" <no-reply@mail.instagram.com>" if header == b"From" else b"")
    found = classify_raw(b"\r\n".join([*lines, header + b": " + value]) + b"\r\n\r\n" + body)
    assert found.kind is not None  # classified, not raised


@pytest.mark.parametrize("change", ["cut", "added", "case"])
def test_a_verified_confirmation_with_its_boundary_off_by_a_byte_is_still_read(change: str):
    raw = mail(DE_CONFIRMATION, html=True)
    boundary = raw.split(b'boundary="')[1].split(b'"')[0]
    wrong = {"cut": boundary[:-1], "added": boundary + b"x", "case": boundary[:-2] + b"QQ"}[change]
    found = classify_raw(raw.replace(b'boundary="' + boundary + b'"', b'boundary="' + wrong + b'"'))
    assert (found.kind, found.trust) == (Kind.CONFIRMATION, Trust.VERIFIED), found.reasons


def test_a_meta_mail_whose_parts_cannot_be_found_is_unclear_never_other():
    raw = mail(DE_CONFIRMATION, html=True)
    boundary = raw.split(b'boundary="')[1].split(b'"')[0]
    found = classify_raw(raw.replace(b'boundary="' + boundary + b'"', b'boundary="something-else-entirely"'))
    assert found.kind is Kind.UNCLEAR, found.reasons


def test_a_mail_that_breaks_the_classifier_is_skipped_with_a_reason(tmp_path: Path, monkeypatch):
    import verifier.scansteps

    real = verifier.scansteps.classify  # the scan judges parsed mails (with the mailbox's provider voice)

    def fragile(parsed, voice=None):
        if "BOOM" in parsed.subject:
            raise RecursionError("maximum recursion depth exceeded")
        return real(parsed, voice)

    monkeypatch.setattr(verifier.scansteps, "classify", fragile)
    broken = mail(DE_CONFIRMATION, user="marie.luise_92", subject="BOOM")
    code, document = _check(tmp_path, [broken, mail(EN_CONFIRMATION, user="lord.canterville")])
    assert code == 1
    assert statuses(document) == {"Familie": "unclear", "Marie": "unclear", "Privat": "confirmed"}
    assert len(document["skipped"]) == 1 and "RecursionError" in document["skipped"][0]
    assert "BOOM" in document["skipped"][0]  # which mail: its subject


@pytest.mark.parametrize("charset", ["idna", "punycode", "undefined"])
def test_every_odd_charset_in_an_imap_mailbox_still_gives_a_verdict(dovecot: DovecotServer, tmp_path: Path, charset):
    require_dovecot()
    dovecot.deliver(_with_charset(charset).replace(b"lord.canterville", b"bello.der.hund"), "INBOX")
    dovecot.deliver(mail(DE_CONFIRMATION), "Junk")
    code, document = run_json("--config", str(imap_config(tmp_path, dovecot)), "check", "--no-archive",
                              env=PASSWORD_ENV)
    assert code == 1  # Verein still needs a form; never 4 or 70
    assert statuses(document)["Privat"] == "confirmed"
    assert statuses(document)["Bello"] in ("confirmed", "unclear")


def test_a_pdf_given_as_mbox_or_eml_is_an_error_never_a_verdict(tmp_path: Path):
    pdf = tmp_path / "proof.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
    config = write_config(tmp_path, groups=GROUPS)
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "a.eml").write_bytes(pdf.read_bytes())
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    (downloads / "proof.pdf").write_bytes(pdf.read_bytes())
    for spec in (f"mbox:{pdf}", str(pdf), str(folder), str(downloads)):
        result = run("--config", str(config), "check", "--no-archive", "--mailbox", spec)
        assert result.exit_code == 2, (spec, result.stdout)
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_an_empty_but_readable_mailbox_is_missing(tmp_path: Path):
    """Nothing found in a mailbox that could be read is a legitimate 'missing'."""
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "empty.mbox").write_bytes(b"")
    config = write_config(tmp_path, groups=GROUPS)
    for spec in (str(empty), f"mbox:{tmp_path / 'empty.mbox'}"):
        code, document = run_json("--config", str(config), "check", "--no-archive", "--mailbox", spec)
        assert code == 1 and set(statuses(document).values()) == {"missing"}


@pytest.mark.parametrize("code", ["de", "en", "fr", "it", "es", "nl", "pl"])
def test_in_every_language_the_rewording_signals_make_a_meta_mail_unclear(code: str):
    from verifier.recognise.catalogue import languages

    language = next(lang for lang in languages() if lang.code == code)
    sentence = " … ".join(words[0] for words in language.signals.values())
    found = classify_raw(mail("{user}: " + sentence + ".\n"))
    assert found.kind is Kind.UNCLEAR, found.reasons
    assert any(r.code == "unclear_signals" and r.params["language"] == code for r in found.details)


@pytest.mark.parametrize(
    "structure",
    [
        (b"text",),
        ((b"x",),),
        ([(b"text",)], b"mixed"),
        ([],),
        (b"message",),
        (b"text", b"plain", None, None, None, None, "x"),
        (b"text", b"plain", (b"charset", b"idna"), None, None, b"base64", 10, 1, None, (b"attachment",)),
    ],
)
def test_an_odd_bodystructure_means_reading_the_whole_mail_never_a_stopped_scan(structure):
    from verifier.sources.imapwire import TextPart, decode_text_part, pick_text_part

    part = pick_text_part(structure)  # must not raise
    assert part is None or isinstance(part, TextPart)
    assert isinstance(decode_text_part(b"\xe4\xff=ZZ", TextPart("1", "plain", "base64", "idna")), str)


def test_a_maildir_folder_that_cannot_be_listed_is_left_out_with_a_reason(tmp_path: Path, monkeypatch):
    """(Permissions do not stop root, so the failing listing is simulated.) The other folders still count; the groups
    that would be missing are unclear, since the unlisted folder may hold the confirmation."""
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    box.add(mail(EN_CONFIRMATION, user="lord.canterville"))
    junk = box.add_folder("Junk")
    junk.add(mail(DE_CONFIRMATION, user="marie.luise_92"))
    box.close()
    real = Path.iterdir

    def refusing(self: Path):
        if self.parent.name == ".Junk":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "iterdir", refusing)
    config = write_config(tmp_path, groups=GROUPS)
    spec = f"maildir:{tmp_path / 'Maildir'}"
    code, document = run_json("--config", str(config), "check", "--no-archive", "--mailbox", spec)
    assert code == 1
    assert statuses(document) == {"Familie": "unclear", "Marie": "unclear", "Privat": "confirmed"}
    assert any("cannot list" in line and "Permission denied" in line for line in document["skipped"])


def test_several_mailboxes_keep_unclear_and_the_comment_attack_apart(tmp_path: Path):
    """[[mailboxes]]: a reworded Meta mail in one, a comment notification quoting the confirmation in the other;
    a PDF given as a third mailbox is that mailbox's error (exit 2 decides), never a verdict."""
    from helpers import GROUPS_TOML

    from verifier.recognise.classify import classify_raw as judge

    first = tmp_path / "one"
    second = tmp_path / "two"
    for where, raw in ((first, mail(REWORDED_EN, user="someone.else")), (second, mail(
        'Hi lord.canterville,\n\nanna.schmidt commented on your post: "We will honor your objection. We will also '
        "honour your objection for any other accounts that you've added to the same Accounts Center as this "
        'account."\n', subject="anna.schmidt commented on your post"))):
        box = mailbox.Maildir(where, create=True)
        box.add(raw)
        box.close()
    assert judge(mail(REWORDED_EN)).kind is Kind.UNCLEAR
    tables = "".join(f'[[mailboxes]]\nname = "{p.name}"\nmailbox = "maildir:{p}"\n' for p in (first, second))
    config = tmp_path / "config.toml"
    config.write_text(tables + GROUPS_TOML, encoding="utf-8")
    config.chmod(0o600)
    code, document = run_json("--config", str(config), "check", "--no-archive")
    assert code == 1
    assert statuses(document) == {"Privat": "unclear", "Bello": "unclear", "Verein": "unclear"}
    assert [q["notification"] for q in document["quoted"]] == ["comment"]
    pdf = tmp_path / "proof.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\n")
    config.write_text(tables + f'[[mailboxes]]\nname = "pdf"\nmailbox = "mbox:{pdf}"\n' + GROUPS_TOML, "utf-8")
    code, document = run_json("--config", str(config), "check", "--no-archive")
    assert code == 2 and "not an mbox file" in next(m["error"] for m in document["mailboxes"] if m["name"] == "pdf")
    assert "missing" not in statuses(document).values()
