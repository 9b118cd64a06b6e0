"""Classification, trust and account matching on hand-made variations (the corpus test covers real-looking mails)."""

from mailbuilder import (
    DE_ANNOUNCEMENT,
    DE_CONFIRMATION,
    EN_CONFIRMATION,
    GMAIL_FAIL,
    NOTIFICATION,
    mail,
)

from verifier.model import Kind, Trust
from verifier.recognise import authresults
from verifier.recognise.classify import classify
from verifier.recognise.mailtext import parse_mail
from verifier.recognise.trust import meta_domain_of


def judge(raw: bytes):
    return classify(parse_mail(raw))


def test_german_confirmation_from_instagram_is_verified_and_names_the_account():
    found = judge(mail(DE_CONFIRMATION))
    assert found.kind is Kind.CONFIRMATION
    assert found.language == "de"
    assert found.trust is Trust.VERIFIED
    assert found.platform == "instagram"
    assert "lord.canterville" in found.accounts


def test_english_confirmation_html_only_still_recognised():
    found = judge(mail(EN_CONFIRMATION, user="bello.der.hund", html=True))
    assert found.kind is Kind.CONFIRMATION
    assert found.language == "en"
    assert "bello.der.hund" in found.accounts


def test_announcement_mentions_objection_but_is_not_a_confirmation():
    found = judge(mail(DE_ANNOUNCEMENT))
    assert found.kind is Kind.ANNOUNCEMENT


def test_ordinary_notification_is_unrelated():
    assert judge(mail(NOTIFICATION)).kind is Kind.UNRELATED


def test_lookalike_domain_copying_the_wording_is_suspicious():
    found = judge(mail(DE_CONFIRMATION, sender="Instagram <security@instagram-help-center.com>", auth=None))
    assert found.trust is Trust.SUSPICIOUS


def test_spoofed_meta_sender_with_dkim_fail_is_suspicious():
    found = judge(mail(DE_CONFIRMATION, auth=GMAIL_FAIL))
    assert found.trust is Trust.SUSPICIOUS


def test_meta_domain_without_auth_headers_is_unverified():
    assert judge(mail(DE_CONFIRMATION, auth=None)).trust is Trust.UNVERIFIED


def test_only_the_topmost_authentication_results_counts():
    raw = mail(DE_CONFIRMATION, auth="mx.example.net; dkim=none; dmarc=none")
    # a "pass" lower in the headers travelled with the mail and proves nothing
    raw = raw.replace(b"From:", b"Authentication-Results: x; dkim=pass header.d=mail.instagram.com\r\nFrom:", 1)
    assert judge(raw).trust is Trust.UNVERIFIED


def test_newsletter_quoting_meta_is_not_a_confirmation():
    found = judge(mail(DE_CONFIRMATION, sender="heise online <newsletter@heise.de>"))
    assert found.kind is Kind.UNRELATED


def test_organisational_domain_match_is_not_substring():
    assert meta_domain_of("mail.instagram.com") == "instagram.com"
    assert meta_domain_of("instagram-help-center.com") is None
    assert meta_domain_of("instagram.com.evil.net") is None
    assert meta_domain_of("notfacebookmail.com") is None


def test_outlook_authentication_results_without_authserv_id_parse():
    parsed = authresults.parse(
        "spf=pass (sender IP is 1.2.3.4) smtp.mailfrom=x.com; dkim=pass (signature was verified) "
        "header.d=mail.instagram.com;dmarc=pass action=none header.from=mail.instagram.com;compauth=pass reason=100"
    )
    assert parsed is not None and parsed.authserv_id == ""
    assert authresults.AuthResult("dkim", "pass", {"header.d": "mail.instagram.com"}) in parsed.results
    assert (parsed.results[2].method, parsed.results[2].result) == ("dmarc", "pass")


def test_garbage_bytes_never_raise():
    for raw in (b"", b"\x00\xff" * 100, b"From: x\r\n\r\n" + b"=" * 5000, b"Content-Type: multipart/mixed\r\n\r\n--"):
        found = judge(raw)
        assert found.kind is Kind.UNRELATED
        assert found.trust is not Trust.VERIFIED


def test_a_pass_verdict_for_a_signature_the_mail_does_not_carry_is_not_trusted():
    # A provider that adds no Authentication-Results of its own leaves the sender's forged one on top.
    forged = judge(mail(DE_CONFIRMATION, signed=False))  # "dkim=pass header.d=mail.instagram.com", no signature
    assert forged.trust is Trust.UNVERIFIED
    assert any("carries none" in reason for reason in forged.reasons)
    assert judge(mail(DE_CONFIRMATION)).trust is Trust.VERIFIED  # the same mail with its signature
