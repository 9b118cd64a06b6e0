"""The tool's own DKIM check: a real signature with a generated key verifies offline; no key = no evidence."""

from __future__ import annotations

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dkimkeys import OfflineKeys, txt_record
from mailbuilder import DE_CONFIRMATION, mail

from verifier.model import Trust
from verifier.recognise import dkimcheck
from verifier.recognise.classify import classify
from verifier.recognise.mailtext import parse_mail

SELECTOR = "t2025"


def _key() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


KEY = _key()


def signed(domain: str = "mail.instagram.com", sender: str = "Instagram <no-reply@mail.instagram.com>") -> bytes:
    raw = mail(DE_CONFIRMATION, auth=None, sender=sender, signed=False)  # only the real signature below
    return dkim.sign(raw, SELECTOR.encode(), domain.encode(), KEY, include_headers=[b"from", b"to", b"subject"]) + raw


def keys_for(domain: str = "mail.instagram.com") -> OfflineKeys:
    keys = OfflineKeys()
    keys.publish(SELECTOR, domain, txt_record(KEY))
    return keys


def judge(raw: bytes, keys: OfflineKeys | None):
    previous = dkimcheck.set_key_lookup(keys or OfflineKeys())
    try:
        return classify(parse_mail(raw))
    finally:
        dkimcheck.set_key_lookup(previous)


def test_real_signature_with_published_key_verifies():
    keys = keys_for()
    found = judge(signed(), keys)
    assert found.trust is Trust.VERIFIED
    assert keys.asked == [f"{SELECTOR}._domainkey.mail.instagram.com."]
    assert any(
        f"this tool checked the digital signature of mail.instagram.com (selector {SELECTOR}) itself: genuine" in r
        for r in found.reasons
    )


def test_no_key_reachable_is_unverified_not_an_error():
    found = judge(signed(), None)
    assert found.trust is Trust.UNVERIFIED
    assert any("could not be fetched" in r for r in found.reasons)


def test_a_failing_dns_lookup_is_no_evidence():
    def broken(name: bytes, timeout: float = 5) -> bytes:
        raise dkim.DnsTimeoutError("timed out")

    previous = dkimcheck.set_key_lookup(broken)
    try:
        assert classify(parse_mail(signed())).trust is Trust.UNVERIFIED
    finally:
        dkimcheck.set_key_lookup(previous)


def test_changed_body_does_not_verify():
    raw = signed().replace(b"Einspruch", b"Einspruch!", 1)
    found = judge(raw, keys_for())
    assert found.trust is Trust.UNVERIFIED
    assert any("does not match" in r for r in found.reasons)


def test_a_valid_signature_of_another_domain_proves_nothing_about_meta():
    # signed correctly by evil.example, but the From claims Instagram: the signature is not aligned
    keys = keys_for("evil.example")
    assert judge(signed(domain="evil.example"), keys).trust is Trust.UNVERIFIED
    assert keys.asked == []


def test_a_valid_own_signature_outweighs_a_header_that_says_fail():
    # The tool's own check of the signature is the strongest evidence: a header (anyone's) cannot undo it.
    raw = b"Authentication-Results: mx.example.net; dkim=fail header.d=mail.instagram.com\r\n" + signed()
    found = judge(raw, keys_for())
    assert found.trust is Trust.VERIFIED
    assert any(f"selector {SELECTOR}" in reason for reason in found.reasons)


def test_a_failing_header_without_any_valid_signature_is_suspicious():
    raw = b"Authentication-Results: mx.example.net; dkim=fail header.d=mail.instagram.com\r\n" + signed()
    assert judge(raw, None).trust is Trust.SUSPICIOUS


def test_signature_on_a_non_meta_sender_never_verifies():
    keys = keys_for("instagram-help-center.com")
    raw = signed(domain="instagram-help-center.com", sender="Instagram <x@instagram-help-center.com>")
    assert judge(raw, keys).trust is Trust.SUSPICIOUS
