"""Property: whatever a sender adds to or changes in a genuine Meta notification, the result is never a verified
confirmation. The model of delivery: the attacker writes any headers and body, then the recipient's provider (if it
adds one) stamps its own Authentication-Results on top, saying what a real receiver would: pass only for a
signature that still verifies."""

from __future__ import annotations

from conftest import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mailbuilder import DE_CONFIRMATION, EN_CONFIRMATION, NOTIFICATION, mail, on_top, sign
from test_forged_headers import FAKE_SIGNATURE, GMAIL_PASS, IG, OUTLOOK_FORM_PASS, RSPAMD_PASS, _aar, _b

from verifier.model import Kind, Trust
from verifier.recognise import dkimcheck
from verifier.recognise.classify import classify
from verifier.recognise.mailtext import parse_mail

RECIPIENTS = ["lord.canterville@outlook.de", "lord.canterville@gmail.com", "lord.canterville@posteo.de"]
CONFIRMATION_TEXT = [DE_CONFIRMATION, EN_CONFIRMATION]
FORGED_HEADERS = [
    GMAIL_PASS,
    OUTLOOK_FORM_PASS,
    RSPAMD_PASS,
    _aar(1, "pass"),
    _aar(9, "pass"),
    FAKE_SIGNATURE,
    "Subject: Wir erkennen deinen Einspruch an",
    "Subject: We will honour your objection",
    "From: Instagram <no-reply@mail.instagram.com>",
    f"From: {_b('no-reply@mail.instagram.com')} <attacker@evil.example>",
    "Message-ID: <genuine@mail.instagram.com>",
    f'Authentication-Results: mx.google.com; dkim=neutral reason="; dkim=pass header.d={IG}" header.d={IG}',
]


def _provider_stamp(raw: bytes, to: str) -> bytes:
    """What the recipient's provider writes on top: its verdict on the mail as it arrived."""
    ok = dkimcheck.check(raw, lambda d: d == IG).outcome is dkimcheck.DkimOutcome.PASS
    result = "pass" if ok else "fail"
    if to.endswith("@outlook.de"):
        return on_top(raw, f"Authentication-Results: spf=fail (sender IP is 203.0.113.9) smtp.mailfrom=evil.example; "
                           f"dkim={result} (signature was verified) header.d={IG};dmarc={result} action=none "
                           f"header.from={IG};compauth={result} reason=000")
    if to.endswith("@gmail.com"):
        return on_top(raw, f"Authentication-Results: mx.google.com; dkim={result} header.i=@{IG}; "
                           f"dmarc={result} header.from={IG}")
    return raw  # posteo: no known form, nothing believed


@st.composite
def forgeries(draw: st.DrawFn) -> bytes:
    to = draw(st.sampled_from(RECIPIENTS))
    note = mail(NOTIFICATION, to=to, auth=None, signed=False, message_id="<n1@mail.instagram.com>")
    base = sign(note, length=draw(st.booleans()))
    raw = base
    confirmation = draw(st.sampled_from(CONFIRMATION_TEXT)).format(user="lord.canterville", to=to).encode()
    change = draw(st.sampled_from(["append", "replace_body", "subject", "none"]))
    head, _, body = raw.partition(b"\r\n\r\n")
    if change == "append":
        raw = head + b"\r\n\r\n" + body + b"\r\n" + confirmation
    elif change == "replace_body":
        raw = head + b"\r\n\r\n" + confirmation
    elif change == "subject":
        raw = raw.replace(b"Subject: Deine Anfrage", b"Subject: Wir erkennen deinen Einspruch an", 1)
    for header in draw(st.lists(st.sampled_from(FORGED_HEADERS), max_size=4)):
        raw = on_top(raw, header)
    return _provider_stamp(raw, to)


@settings(max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(forgeries())
def test_no_forgery_of_a_genuine_notification_is_a_verified_confirmation(raw: bytes):
    found = classify(parse_mail(raw))
    assert not (found.kind is Kind.CONFIRMATION and found.trust is Trust.VERIFIED), found.reasons
