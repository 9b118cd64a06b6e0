"""Trust from evidence the tool checked, tried as an attacker would: forged Authentication-Results and ARC records,
replays of genuinely signed mails, duplicated and encoded headers, l= tails and attached messages.

Every mail here is crafted; "genuine" ones carry a real signature with the fixtures' test key (tests/dkimkeys.py),
the forged ones what a sender can write. The provider's form follows the recipient: outlook.de is Outlook.com (no
authserv-id), gmail.com is Gmail (mx.google.com), posteo.de has no known form (its headers are never evidence)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import dkim
import pytest
from dkimkeys import TEST_KEY, TEST_SELECTOR, txt_record
from mailbuilder import DE_CONFIRMATION, EN_CONFIRMATION, NOTIFICATION, OUTLOOK_PASS, mail, on_top, sign

from verifier.model import Kind, Trust
from verifier.recognise import dkimcheck
from verifier.recognise.classify import classify
from verifier.recognise.mailtext import parse_mail
from verifier.recognise.voice import Voice, for_account, of_mailbox

IG = "mail.instagram.com"
GMAIL_PASS = f"Authentication-Results: mx.google.com; dkim=pass header.i=@{IG} header.s=s1; dmarc=pass header.from={IG}"
OUTLOOK_FORM_PASS = "Authentication-Results: " + OUTLOOK_PASS.format(domain=IG)
RSPAMD_PASS = f"Authentication-Results: mx.posteo.de; dkim=pass header.d={IG}; dmarc=pass header.from={IG}"
FAKE_SIGNATURE = (
    f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={IG}; s=s1; h=from:to:subject; bh=AAAA; b=AAAA"
)


def judge(raw: bytes, voice: Voice | None = None):
    return classify(parse_mail(raw), voice)


def genuine(to: str = "lord.canterville@outlook.de", body: str = DE_CONFIRMATION, **kw: object) -> bytes:
    """A confirmation as Meta sends it: really signed (test key), no provider header yet."""
    return sign(mail(body, to=to, auth=None, signed=False, **kw))


def forged(to: str, *headers: str, body: str = DE_CONFIRMATION) -> bytes:
    """A confirmation an attacker sends: Meta's From, any headers he likes, no valid signature."""
    return on_top(mail(body, to=to, auth=None, signed=False), *headers)


# ---------------------------------------------------------------- forged Authentication-Results


@pytest.mark.parametrize(
    "header",
    [GMAIL_PASS, OUTLOOK_FORM_PASS, RSPAMD_PASS, f"Authentication-Results: posteo.de; dmarc=pass header.from={IG}"],
    ids=["gmail-form", "outlook-form", "rspamd-form", "dmarc-only"],
)
def test_a_sender_written_pass_on_top_at_a_provider_that_adds_none_is_not_evidence(header: str):
    # posteo.de: no known form, so whatever sits on top proves nothing; the fake signature does not verify
    found = judge(forged("lord@posteo.de", header, FAKE_SIGNATURE))
    assert found.kind is Kind.CONFIRMATION
    assert found.trust is not Trust.VERIFIED


@pytest.mark.parametrize("to", ["lord@outlook.de", "lord@hotmail.com", "lord@live.de"])
def test_another_providers_form_on_top_is_not_evidence_at_outlook(to: str):
    found = judge(forged(to, GMAIL_PASS, FAKE_SIGNATURE))
    assert found.trust is Trust.UNVERIFIED
    assert any("not in your mail provider's form" in reason for reason in found.reasons)


def test_outlooks_form_on_top_is_not_evidence_at_gmail():
    found = judge(forged("lord@gmail.com", OUTLOOK_FORM_PASS, FAKE_SIGNATURE))
    assert found.trust is Trust.UNVERIFIED


def test_the_configured_account_decides_the_form_not_the_mails_to():
    # The attacker addresses his mail to a Gmail address, but the user's account is at Outlook.com.
    raw = forged("victim@gmail.com", GMAIL_PASS, FAKE_SIGNATURE)
    assert judge(raw).trust is Trust.VERIFIED  # alone, a saved file is judged by its recipient: Gmail's form
    assert judge(raw, for_account("outlook.office365.com", "victim@outlook.de")).trust is Trust.UNVERIFIED


@pytest.mark.parametrize(
    "provider_top",
    [
        f"Authentication-Results: mx.google.com; dkim=fail header.i=@{IG}; dmarc=fail header.from={IG}",
        f"Authentication-Results: mx.google.com; dkim=none; dmarc=fail (p=REJECT) header.from={IG}",
    ],
)
def test_the_providers_failure_on_top_beats_a_forged_pass_below(provider_top: str):
    found = judge(forged("lord@gmail.com", provider_top, GMAIL_PASS, FAKE_SIGNATURE))
    assert found.trust is Trust.SUSPICIOUS


@pytest.mark.parametrize(
    "header",
    [
        # a ';' inside a quoted string must not start a new result
        f'Authentication-Results: mx.google.com; dkim=neutral reason="bad; dkim=pass header.d={IG}" header.d={IG}',
        # nor inside a comment, nested or not
        f"Authentication-Results: mx.google.com; dkim=neutral (x; dkim=pass header.d={IG}) header.d={IG}",
        f"Authentication-Results: mx.google.com; dkim=neutral (a (b; dkim=pass header.d={IG}) c) header.d={IG}",
        # an escaped quote inside the quoted string does not end it
        f'Authentication-Results: mx.google.com; dkim=neutral reason="a\\"; dkim=pass header.d={IG}" header.d={IG}',
        # a comment inside a quoted string is text, not a comment
        f'Authentication-Results: mx.google.com; dkim=neutral reason="(; dkim=pass header.d={IG}" header.d={IG}',
    ],
    ids=["quoted", "comment", "nested-comment", "escaped-quote", "paren-in-quotes"],
)
def test_a_pass_smuggled_into_a_quoted_string_or_comment_is_not_read(header: str):
    found = judge(forged("lord@gmail.com", header, FAKE_SIGNATURE))
    assert found.trust is Trust.UNVERIFIED  # the only real result is "neutral"
    assert any("check does not confirm it" in reason for reason in found.reasons)


@pytest.mark.parametrize(
    "header",
    [
        f"Authentication-Results: spf=none (sender IP is 1.2.3.4 (x; dkim=pass header.d={IG})) "
        f"smtp.mailfrom=evil.example; dkim=none (message not signed) header.d=none;dmarc=none action=none "
        f"header.from={IG}",
        f'Authentication-Results: spf=none reason="; dkim=pass header.d={IG}" smtp.mailfrom=evil.example;'
        f" dkim=none (message not signed) header.d=none;dmarc=none action=none header.from={IG}",
    ],
    ids=["nested-comment", "quoted"],
)
def test_a_pass_smuggled_into_outlooks_form_is_not_read(header: str):
    assert judge(forged("lord@outlook.de", header, FAKE_SIGNATURE)).trust is Trust.UNVERIFIED


def test_a_provider_pass_for_a_signature_the_mail_does_not_carry_is_not_the_providers():
    found = judge(forged("lord@outlook.de", OUTLOOK_FORM_PASS))  # no DKIM-Signature at all
    assert found.trust is Trust.UNVERIFIED


# ---------------------------------------------------------------- learning the form from the mailbox


def _posteo(header: str | None, n: int = 0) -> bytes:
    raw = mail(NOTIFICATION, to="lord@posteo.de", auth=None, message_id=f"<n{n}@mail.instagram.com>")
    return on_top(raw, header) if header else raw


def test_an_unknown_providers_form_is_learnt_only_from_every_mail():
    header = f"Authentication-Results: mx01.posteo.de; dkim=pass header.d={IG}; dmarc=pass header.from={IG}"
    mails = [parse_mail(_posteo(header, n)) for n in range(3)]
    assert of_mailbox(mails) == Voice("mx01.posteo.de", "learnt")
    # one mail without it (Meta's genuine mail at a provider that adds nothing): nothing is learnt
    assert of_mailbox([*mails, parse_mail(_posteo(None, 9))]).known is False
    # two forms on top: nothing is learnt either
    other = f"Authentication-Results: mx.google.com; dkim=pass header.d={IG}"
    assert of_mailbox([*mails, parse_mail(_posteo(other, 8))]).known is False
    assert of_mailbox(mails[:2]).known is False  # too few to tell


def test_a_learnt_form_makes_the_providers_verdict_count():
    header = f"Authentication-Results: mx01.posteo.de; dkim=pass header.d={IG}; dmarc=pass header.from={IG}"
    voice = of_mailbox([parse_mail(_posteo(header, n)) for n in range(3)])
    raw = on_top(mail(DE_CONFIRMATION, to="lord@posteo.de", auth=None), header)
    assert judge(raw, voice).trust is Trust.VERIFIED
    assert judge(raw).trust is Trust.UNVERIFIED  # alone, the same mail proves nothing


# ---------------------------------------------------------------- the tool's own DKIM check


def test_own_dkim_pass_names_the_signature():
    found = judge(genuine())
    assert found.trust is Trust.VERIFIED
    assert any(f"{IG} (selector {TEST_SELECTOR})" in reason for reason in found.reasons)


def test_one_valid_aligned_signature_beats_an_unrelated_failing_one():
    broken = FAKE_SIGNATURE.replace("s=s1", "s=old2019")
    found = judge(on_top(genuine(), broken))
    assert found.trust is Trust.VERIFIED


@pytest.mark.parametrize(
    "header",
    [
        f"Authentication-Results: mx.google.com; dkim=pass header.i=@{IG} header.s=s1; "
        f"dkim=fail header.i=@{IG} header.s=old; dmarc=pass header.from={IG}",
        f"Authentication-Results: mx.google.com; dkim=fail header.i=@{IG} header.s=old; "
        f"dkim=pass header.i=@{IG} header.s=s1; dmarc=pass header.from={IG}",
        f"Authentication-Results: mx.google.com; dkim=pass header.d={IG}; dkim=permerror header.d={IG}",
    ],
    ids=["pass-first", "fail-first", "permerror-no-dmarc"],
)
def test_a_providers_aligned_pass_with_dmarc_pass_beats_an_unrelated_failure(header: str):
    found = judge(forged("lord@gmail.com", header, FAKE_SIGNATURE))
    assert found.trust is Trust.VERIFIED
    assert any("one valid signature is enough" in reason for reason in found.reasons)


def test_outlooks_aligned_pass_with_dmarc_pass_beats_an_unrelated_failure():
    header = (
        f"Authentication-Results: spf=pass (sender IP is 1.2.3.4) smtp.mailfrom={IG}; dkim=pass (signature was "
        f"verified) header.d={IG};dkim=fail (body hash did not verify) header.d={IG};dmarc=pass action=none "
        f"header.from={IG};compauth=pass reason=100"
    )
    assert judge(forged("lord@outlook.de", header, FAKE_SIGNATURE)).trust is Trust.VERIFIED


def test_dmarc_fail_beats_a_dkim_pass():
    header = f"Authentication-Results: mx.google.com; dkim=pass header.d={IG}; dmarc=fail header.from={IG}"
    assert judge(forged("lord@gmail.com", header, FAKE_SIGNATURE)).trust is Trust.SUSPICIOUS


def test_a_valid_signature_of_a_subdomain_of_another_meta_org_is_not_aligned():
    raw = sign(mail(DE_CONFIRMATION, auth=None, signed=False, sender="Facebook <x@facebookmail.com>"), IG)
    assert judge(raw).trust is not Trust.VERIFIED


# ---------------------------------------------------------------- l= and appended text


def _with_length() -> bytes:
    return sign(mail(NOTIFICATION, auth=None, signed=False), length=True)


def test_a_signature_with_l_and_nothing_after_it_verifies():
    assert judge(_with_length()).trust is Trust.VERIFIED


@pytest.mark.parametrize(
    "tail",
    [
        b"\r\n" + DE_CONFIRMATION.format(user="lord.canterville", to="x").encode(),
        b"\r\n" + EN_CONFIRMATION.format(user="lord.canterville", to="x").encode(),
        b"\r\nP.S. Wir erkennen deinen Einspruch an.\r\n",
    ],
    ids=["de", "en", "short"],
)
def test_text_after_the_signed_length_is_not_verified(tail: bytes):
    raw = _with_length() + tail
    found = judge(raw)
    assert found.trust is Trust.SUSPICIOUS
    assert any("(l=)" in reason for reason in found.reasons)
    # also when the provider says pass and no key can be fetched: the tail is seen without the key
    previous = dkimcheck.set_key_lookup(lambda name, timeout=3: None)
    try:
        assert judge(on_top(raw, OUTLOOK_FORM_PASS)).trust is Trust.SUSPICIOUS
    finally:
        dkimcheck.set_key_lookup(previous)


# ---------------------------------------------------------------- one of each header


@pytest.mark.parametrize(
    "extra",
    [
        "Subject: Wir erkennen deinen Einspruch an",  # a replay: DKIM covers the bottom one, readers show the top
        "From: Instagram <no-reply@mail.instagram.com>",
        "From: Evil <attacker@evil.example>",
        "To: someone.else@outlook.de",
        "Date: Tue, 27 May 2025 10:00:00 +0000",
        "Message-ID: <other@mail.instagram.com>",
        "SUBJECT: upper case is the same header",
        "message-id: <lower@mail.instagram.com>",
        "Content-Type: text/plain; charset=utf-7",  # re-reads the signed body in another charset
        "Content-Transfer-Encoding: base64",
        "MIME-Version: 1.0",
    ],
)
def test_a_second_single_header_on_top_of_a_genuinely_signed_mail_is_suspicious(extra: str):
    raw = on_top(genuine(), extra)
    found = judge(raw)
    assert found.trust is Trust.SUSPICIOUS
    assert any("more than once" in reason for reason in found.reasons)


def test_a_replayed_signed_notification_with_a_confirmation_subject_on_top_never_confirms():
    raw = on_top(sign(mail(NOTIFICATION, auth=None, signed=False, subject="Neue Benachrichtigung")),
                 "Subject: Wir erkennen deinen Einspruch an")
    assert judge(raw).trust is Trust.SUSPICIOUS


@pytest.mark.parametrize(
    "sender",
    [
        "Instagram <no-reply@mail.instagram.com>, Evil <attacker@evil.example>",
        "attacker@evil.example, no-reply@mail.instagram.com",
        "no-reply@mail.instagram.com, no-reply@mail.instagram.com",
    ],
)
def test_a_from_with_two_addresses_is_suspicious(sender: str):
    found = judge(forged("lord@outlook.de", OUTLOOK_FORM_PASS, FAKE_SIGNATURE).replace(
        b"From: Instagram <no-reply@mail.instagram.com>", f"From: {sender}".encode()))
    assert found.trust is Trust.SUSPICIOUS
    assert any("2 addresses" in reason for reason in found.reasons)


def _b(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


@pytest.mark.parametrize(
    "display",
    [_b("no-reply@mail.instagram.com"), "=?utf-8?q?no-reply=40mail=2Einstagram=2Ecom?=", _b("Instagram")],
    ids=["b-address", "q-address", "b-name"],
)
def test_an_encoded_display_name_is_never_the_address(display: str):
    raw = forged("lord@outlook.de", OUTLOOK_FORM_PASS, FAKE_SIGNATURE).replace(
        b"From: Instagram <no-reply@mail.instagram.com>", f"From: {display} <attacker@evil.example>".encode())
    parsed = parse_mail(raw)
    assert parsed.from_addr == "attacker@evil.example"
    found = classify(parsed)
    assert found.meta_sender is False
    assert found.trust is Trust.SUSPICIOUS


@pytest.mark.parametrize(
    "sender",
    [
        '"no-reply@mail.instagram.com" <attacker@evil.example>',  # a quoted display name that looks like an address
        "attacker@evil.example (no-reply@mail.instagram.com)",  # the Meta address only in a comment
        "<@mail.instagram.com:attacker@evil.example>",  # an obsolete source route through Meta's domain
        "Meta: no-reply@mail.instagram.com, attacker@evil.example;",  # group syntax with two members
        "no-reply@mail.instagram.com <attacker@evil.example>",  # an unquoted address-like name
    ],
    ids=["quoted-name", "comment", "source-route", "group", "bare-name"],
)
def test_metas_address_outside_the_address_part_is_never_the_sender(sender: str):
    raw = forged("lord@outlook.de", OUTLOOK_FORM_PASS, FAKE_SIGNATURE).replace(
        b"From: Instagram <no-reply@mail.instagram.com>", f"From: {sender}".encode())
    found = judge(raw)
    assert found.trust is Trust.SUSPICIOUS
    assert not (found.meta_sender and found.trust is Trust.VERIFIED)


def test_a_signature_that_does_not_cover_from_proves_nothing():
    unsigned_from = FAKE_SIGNATURE.replace("h=from:to:subject", "h=to:subject")
    raw = forged("lord@posteo.de", unsigned_from)
    assert dkimcheck.check(raw, lambda d: d == IG).outcome is dkimcheck.DkimOutcome.FROM_NOT_SIGNED
    found = judge(raw)
    assert found.trust is Trust.UNVERIFIED
    assert any("does not cover the From line" in reason for reason in found.reasons)


@pytest.mark.parametrize("authserv", ["mx.goog1e.com", "mx.google.com.evil.example", "mx-google.com", "google.com"])
def test_a_look_alike_authserv_id_is_not_gmails(authserv: str):
    header = GMAIL_PASS.replace("mx.google.com", authserv)
    assert judge(forged("lord@gmail.com", header, FAKE_SIGNATURE)).trust is Trust.UNVERIFIED


def test_an_encoded_word_as_the_whole_address_is_suspicious():
    raw = forged("lord@outlook.de", OUTLOOK_FORM_PASS, FAKE_SIGNATURE).replace(
        b"From: Instagram <no-reply@mail.instagram.com>", f"From: <{_b('no-reply@mail.instagram.com')}>".encode())
    found = judge(raw)
    assert found.trust is Trust.SUSPICIOUS
    assert found.meta_sender is False


def test_a_genuine_encoded_display_name_is_still_read():
    raw = genuine().replace(b"From: Instagram <", f"From: {_b('Instagram Ünterstützung')} <".encode())
    parsed = parse_mail(raw)
    assert (parsed.from_name, parsed.from_addr) == ("Instagram Ünterstützung", "no-reply@mail.instagram.com")


# ---------------------------------------------------------------- ARC


def _aar(instance: int, result: str, authserv: str = "mx.google.com") -> str:
    return (f"ARC-Authentication-Results: i={instance}; {authserv}; dkim={result} header.i=@{IG}; "
            f"dmarc={result} header.from={IG}")


@pytest.mark.parametrize(
    "records",
    [
        [_aar(1, "pass")],
        [_aar(9, "pass"), _aar(1, "fail")],
        [_aar(2, "pass"), _aar(1, "pass"), "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=google.com; s=x; b=AAAA"],
    ],
    ids=["no-seal", "forged-i9-over-real-fail", "fake-seal"],
)
def test_arc_records_without_a_verified_chain_are_no_evidence(records: list[str]):
    found = judge(forged("lord@gmail.com", *records, FAKE_SIGNATURE))
    assert found.trust is not Trust.VERIFIED


def _sealed(sealer: str, authserv: str, offline_dkim_keys: object, to: str = "lord@gmail.com") -> bytes:
    """A real ARC set (test key) over a mail whose Authentication-Results the sealer wrote; then that header is
    dropped, as a saved copy may lose it."""
    offline_dkim_keys.publish("arc2025", sealer, txt_record(TEST_KEY.read_bytes()))  # type: ignore[attr-defined]
    ar = f"Authentication-Results: {authserv}; dkim=pass header.i=@{IG}; dmarc=pass header.from={IG}"
    raw = forged(to, ar, FAKE_SIGNATURE)
    arc = b"".join(dkim.arc_sign(raw, b"arc2025", sealer.encode(), TEST_KEY.read_bytes(), authserv.encode()))
    return arc + raw.split(b"\r\n", 1)[1]  # without the Authentication-Results line


def test_a_verified_arc_chain_sealed_by_the_providers_domain_counts(offline_dkim_keys: object):
    found = judge(_sealed("google.com", "mx.google.com", offline_dkim_keys))
    assert found.trust is Trust.VERIFIED
    assert any("ARC" in reason for reason in found.reasons)


def test_a_verified_arc_chain_sealed_by_someone_else_is_no_evidence(offline_dkim_keys: object):
    # A valid chain, but sealed by evil.example while its record claims to be Gmail's.
    assert judge(_sealed("evil.example", "mx.google.com", offline_dkim_keys)).trust is not Trust.VERIFIED


def test_a_verified_arc_chain_in_another_providers_form_is_no_evidence(offline_dkim_keys: object):
    raw = _sealed("google.com", "mx.google.com", offline_dkim_keys, to="lord@outlook.de")
    assert judge(raw).trust is not Trust.VERIFIED


def test_an_arc_chain_broken_by_a_changed_body_is_no_evidence(offline_dkim_keys: object):
    raw = _sealed("google.com", "mx.google.com", offline_dkim_keys).replace(b"Einspruch", b"Einspruch!", 1)
    assert judge(raw).trust is not Trust.VERIFIED


# ---------------------------------------------------------------- attached messages are not Meta's words


def _with_attached(inner: bytes, outer_body: str = NOTIFICATION) -> bytes:
    from email import message_from_bytes, policy
    from email.message import EmailMessage

    outer = EmailMessage()
    outer["From"] = "Instagram <no-reply@mail.instagram.com>"
    outer["To"] = "lord.canterville@outlook.de"
    outer["Subject"] = "Neue Benachrichtigung"
    outer["Date"] = "Tue, 20 May 2025 08:00:00 +0000"
    outer["Message-ID"] = "<outer@mail.instagram.com>"
    outer.set_content(outer_body.format(user="lord.canterville", to="x"))
    outer.add_attachment(message_from_bytes(inner, policy=policy.default))
    return sign(outer.as_bytes(policy=policy.SMTP))


@pytest.mark.parametrize("body", [DE_CONFIRMATION, EN_CONFIRMATION])
def test_confirmation_text_in_an_attached_message_of_a_verified_meta_mail_is_not_a_confirmation(body: str):
    inner = mail(body, auth=None, signed=False, sender="Anna <anna@example.org>")
    found = judge(_with_attached(inner))
    assert found.trust is Trust.VERIFIED  # Meta really sent it …
    assert found.kind is not Kind.CONFIRMATION  # … but the confirmation is not Meta's words


@pytest.mark.parametrize("ctype", ["message/rfc822", "message/global", "message/partial", "text/rfc822-headers"])
@pytest.mark.parametrize("top_level", [False, True], ids=["attached", "whole-body"])
def test_confirmation_text_in_any_kind_of_embedded_message_is_not_metas(ctype: str, top_level: bool):
    inner = mail(DE_CONFIRMATION, auth=None, signed=False, sender="Anna <anna@example.org>")
    head = (b"From: Instagram <no-reply@mail.instagram.com>\r\nTo: lord.canterville@outlook.de\r\nSubject: Neu\r\n"
            b"Date: Tue, 20 May 2025 08:00:00 +0000\r\nMessage-ID: <o@mail.instagram.com>\r\nMIME-Version: 1.0\r\n")
    if top_level:
        body = b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + inner
    else:
        body = (b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHallo\r\n"
                b"--b\r\nContent-Type: " + ctype.encode() + b"\r\n\r\n" + inner + b"\r\n--b--\r\n")
    found = judge(sign(head + body))
    assert found.trust is Trust.VERIFIED
    assert found.kind is not Kind.CONFIRMATION


def test_an_attached_copy_of_metas_own_confirmation_is_not_one_either():
    inner = genuine()
    assert judge(_with_attached(inner)).kind is not Kind.CONFIRMATION


def test_a_users_forward_as_attachment_is_still_recognised_as_a_forward():
    # from the user, not from Meta: the attached mail is read (and never verified)
    from email import message_from_bytes, policy
    from email.message import EmailMessage

    outer = EmailMessage()
    outer["From"] = "Lord <lord.canterville@outlook.de>"
    outer["To"] = "me@posteo.de"
    outer["Subject"] = "Fwd: Deine Anfrage"
    outer.set_content("siehe Anhang")
    outer.add_attachment(message_from_bytes(genuine(), policy=policy.default))
    found = judge(outer.as_bytes(policy=policy.SMTP))
    assert (found.kind, found.forwarded, found.trust) == (Kind.CONFIRMATION, True, Trust.UNVERIFIED)


# ---------------------------------------------------------------- the whole check, from a folder of crafted mails


def test_check_over_a_mailbox_of_forgeries_and_one_genuine_confirmation(tmp_path):
    from helpers import run_json, statuses, write_config
    from mailbuilder import DE_ANNOUNCEMENT

    shadow_id = "<the-real-one@mail.instagram.com>"
    attacks = [
        forged("lord.canterville@outlook.de", GMAIL_PASS, FAKE_SIGNATURE),
        forged("lord.canterville@outlook.de", _aar(9, "pass"), FAKE_SIGNATURE),
        on_top(genuine(), "Subject: Wir erkennen deinen Einspruch an"),
        _with_length() + b"\r\n" + DE_CONFIRMATION.format(user="lord.canterville", to="x").encode(),
        _with_attached(mail(DE_CONFIRMATION, auth=None, signed=False, sender="Anna <anna@example.org>")),
        mail(DE_ANNOUNCEMENT, message_id=shadow_id),  # an earlier mail with the confirmation's Message-ID
    ]
    mails = tmp_path / "mails"
    mails.mkdir()
    for index, raw in enumerate(attacks):
        (mails / f"attack{index}.eml").write_bytes(raw)
    code, document = run_json("--config", str(write_config(tmp_path, {})), "check", "--mailbox", str(mails))
    assert statuses(document)["Privat"] != "confirmed" and code == 1
    genuine_raw = genuine(message_id=shadow_id, sent=datetime(2025, 5, 25, 8, 0, tzinfo=UTC))
    (mails / "genuine.eml").write_bytes(genuine_raw)
    code, document = run_json("--config", str(write_config(tmp_path, {})), "check", "--mailbox", str(mails))
    assert statuses(document)["Privat"] == "confirmed"
    # the genuine mail is the only verified evidence; forgeries are unverified evidence or warnings
    privat = next(g for g in document["groups"] if g["name"] == "Privat")
    verified = [e["sha256"] for e in privat["evidence"] if e["trust"] == "verified"]
    assert verified == [parse_mail(genuine_raw).sha256]
    assert len(document["warnings"]) >= 2


def test_a_providers_pass_needs_no_key_lookup_and_a_failure_asks_for_the_key(offline_dkim_keys: object):
    raw = on_top(genuine(), OUTLOOK_FORM_PASS)
    assert judge(raw).trust is Trust.VERIFIED
    assert offline_dkim_keys.asked == []  # type: ignore[attr-defined]  # offline, a scan costs no DNS time
    fail = OUTLOOK_FORM_PASS.replace("dkim=pass", "dkim=fail").replace("dmarc=pass", "dmarc=fail")
    assert judge(on_top(genuine(), fail)).trust is Trust.VERIFIED  # the own check overrides the failure
    assert offline_dkim_keys.asked  # type: ignore[attr-defined]


def test_forgeries_over_imap_never_confirm_and_the_genuine_mail_does(dovecot, tmp_path):
    """The same over a real Dovecot: forgeries in INBOX and Junk, then the genuine mail (Outlook.com recipient)."""
    from helpers import PASSWORD_ENV, imap_config, run_json, statuses

    dovecot.deliver(forged("lord.canterville@outlook.de", GMAIL_PASS, FAKE_SIGNATURE), "INBOX")
    dovecot.deliver(forged("lord.canterville@outlook.de", _aar(9, "pass"), FAKE_SIGNATURE), "Junk")
    dovecot.deliver(on_top(genuine(), "Subject: Wir erkennen deinen Einspruch an"), "INBOX")
    config = imap_config(tmp_path, dovecot)
    _code, document = run_json("--config", str(config), "check", "--full", env=PASSWORD_ENV)
    assert statuses(document)["Privat"] != "confirmed"
    dovecot.deliver(on_top(genuine(), OUTLOOK_FORM_PASS), "INBOX")
    _code, document = run_json("--config", str(config), "check", "--full", env=PASSWORD_ENV)
    assert statuses(document)["Privat"] == "confirmed"
