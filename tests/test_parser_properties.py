"""Property tests: the parser and classifier never raise, and a mail not from a Meta domain is never a verified
confirmation, whatever the bytes (arbitrary input, mutated fixtures, any From domain on a genuine-looking mail)."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verifier.model import Kind, Trust
from verifier.recognise.classify import classify
from verifier.recognise.mailtext import parse_mail
from verifier.recognise.trust import meta_domain_of

MAILS = Path(__file__).resolve().parent.parent / "fixtures" / "mails"
CORPUS = [path.read_bytes() for path in sorted(MAILS.glob("*.eml"))]
FAST = settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_invariants(raw: bytes) -> None:
    parsed = parse_mail(raw)  # must not raise
    found = classify(parsed)  # must not raise
    if meta_domain_of(parsed.from_domain) is None:
        assert not (found.kind is Kind.CONFIRMATION and found.trust is Trust.VERIFIED), found.reasons
    if found.forwarded:
        assert found.trust is not Trust.VERIFIED
    assert found.reasons


@FAST
@given(st.binary(max_size=4000))
def test_arbitrary_bytes(raw: bytes):
    check_invariants(raw)


@FAST
@given(st.binary(max_size=600), st.sampled_from(CORPUS))
def test_arbitrary_bytes_after_real_headers(noise: bytes, raw: bytes):
    head = raw.split(b"\r\n\r\n", 1)[0]
    check_invariants(head + b"\r\n\r\n" + noise)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(1, 6))):
        action = draw(st.sampled_from(["flip", "cut", "insert", "delete", "duplicate"]))
        where = draw(st.integers(0, max(len(raw) - 1, 0)))
        if action == "flip" and raw:
            raw[where] = draw(st.integers(0, 255))
        elif action == "cut":
            del raw[where:]
        elif action == "insert":
            raw[where:where] = draw(st.binary(min_size=1, max_size=40))
        elif action == "delete":
            del raw[where : where + draw(st.integers(1, 200))]
        else:
            raw[where:where] = raw[where : where + draw(st.integers(1, 300))]
    return bytes(raw)


@FAST
@given(mutated())
def test_mutated_fixtures(raw: bytes):
    check_invariants(raw)


DOMAINS = st.one_of(
    st.sampled_from(
        [
            "instagram.com.evil.net",
            "notinstagram.com",
            "instagram-help-center.com",
            "facebookmail.co",
            "mail-instagram.com",
            "gmail.com",
            "meta.com.phish.io",
            "xn--nstagram-g4a.com",
        ]
    ),
    st.from_regex(re.compile(r"[a-z0-9-]{1,20}\.(com|net|de|io)"), fullmatch=True),
)


@FAST
@given(st.sampled_from(CORPUS), DOMAINS, st.sampled_from(["Instagram", "Facebook", "Meta Privacy", "Support", ""]))
def test_any_non_meta_from_on_a_genuine_mail_is_never_a_verified_confirmation(raw: bytes, domain: str, name: str):
    """The provider said pass for Meta's domain, but the From is somebody else's: never verified."""
    assume_meta = meta_domain_of(domain) is not None
    swapped = re.sub(rb"(?im)^From:[^\r\n]*(\r?\n[ \t][^\r\n]*)*", f"From: {name} <x@{domain}>".encode(), raw, count=1)
    found = classify(parse_mail(swapped))
    if not assume_meta:
        assert not (found.kind is Kind.CONFIRMATION and found.trust is Trust.VERIFIED)
        assert found.trust is not Trust.VERIFIED
