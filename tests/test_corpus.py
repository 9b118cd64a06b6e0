"""The fixture corpus (fixtures/mails/*.eml + .expected.json): every mail gets the expected classification, every
catalogue entry is exercised by some mail, and the IMAP pre-filter lets every objection mail through."""

from __future__ import annotations

import json
from email import message_from_bytes
from email.policy import compat32
from pathlib import Path

import pytest

from verifier.recognise.catalogue import languages, meta_facts, text_might_matter
from verifier.recognise.classify import classify
from verifier.recognise.mailtext import normalise, parse_mail, tidy
from verifier.sources.imapwire import TextPart, decode_text_part

MAILS = Path(__file__).resolve().parent.parent / "fixtures" / "mails"
FIXTURES = sorted(MAILS.glob("*.eml"))
FIELDS = ("kind", "platform", "language", "accounts", "recipient", "trust", "forwarded", "meta_sender")


def expected(path: Path) -> dict:
    return json.loads(path.with_name(path.stem + ".expected.json").read_text("utf-8"))


def test_the_corpus_is_there():
    assert len(FIXTURES) >= 40
    assert all(path.with_name(path.stem + ".expected.json").exists() for path in FIXTURES)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture_is_classified_as_expected(path: Path):
    found = classify(parse_mail(path.read_bytes()))
    got = found.model_dump(mode="json")
    want = expected(path)
    assert {f: got[f] for f in FIELDS} == {f: want[f] for f in FIELDS}, found.reasons
    # the classification explains itself: why this kind, and why this trust
    assert {r.topic for r in found.details} >= {"kind", "trust"}
    assert len(found.reasons) == len(found.details)


def test_corpus_covers_every_kind_and_the_required_languages():
    pairs = {(expected(p)["kind"], expected(p)["language"]) for p in FIXTURES}
    kinds = {kind for kind, _ in pairs}
    assert kinds == {"confirmation", "receipt", "code", "rejection", "announcement", "unclear", "unrelated"}
    for language in ("de", "en", "fr", "it", "es", "nl", "pl"):
        assert ("confirmation", language) in pairs
        assert ("announcement", language) in pairs
    for kind in ("receipt", "code", "rejection"):
        assert {(kind, "de"), (kind, "en")} <= pairs


def _corpus_texts() -> list[tuple[str, str]]:
    """(folded, tidied) text of every fixture as the classifier sees it."""
    texts = []
    for path in FIXTURES:
        parsed = parse_mail(path.read_bytes())
        shown = tidy(parsed.subject + "\n" + parsed.text)
        texts.append((shown.casefold(), shown))
    return texts


def test_every_catalogue_entry_occurs_in_some_fixture():
    """A contributor who adds a phrase must add the mail it comes from: no untested wording in the catalogues."""
    texts = _corpus_texts()
    unused = []
    for language in languages():
        entries = [("keyword", k) for k in language.keywords]
        entries += [(kind, p) for kind, phrases in language.kinds.items() for p in phrases.strong + phrases.weak]
        for where, phrase in entries:
            if not any(phrase in folded for folded, _ in texts):
                unused.append(f"{language.code} {where}: {phrase}")
        for pattern in language.account_patterns:
            if not any(pattern.search(shown) for _, shown in texts):
                unused.append(f"{language.code}: account pattern {pattern.pattern}")
    for pattern in meta_facts().account_patterns:
        if not any(pattern.search(shown) for _, shown in texts):
            unused.append(f"meta.toml: account pattern {pattern.pattern}")
    assert not unused


def _prefilter_part(raw: bytes) -> str | None:
    """What the IMAP scan looks at before downloading a mail: the first text/plain part, else text/html; None when
    the scan would download the whole mail anyway (a forwarded message inside)."""
    message = message_from_bytes(raw, policy=compat32)
    leaves = [p for p in message.walk() if not p.is_multipart()]
    if any(p.get_content_type() == "message/rfc822" for p in message.walk()):
        return None
    for subtype in ("plain", "html"):
        for part in leaves:
            if part.get_content_type() == f"text/{subtype}":
                body = part.get_payload(decode=False)
                body = body.encode("latin-1", "replace") if isinstance(body, str) else b""
                encoding = str(part.get("Content-Transfer-Encoding", "7bit")).lower()
                info = TextPart("1", subtype, encoding, part.get_content_charset() or "utf-8")
                return decode_text_part(body, info)
    return ""


@pytest.mark.parametrize("path", [p for p in FIXTURES if expected(p)["kind"] != "unrelated"], ids=lambda p: p.stem)
def test_keywords_let_every_objection_mail_through_the_imap_prefilter(path: Path):
    text = _prefilter_part(path.read_bytes())
    if text is None:
        pytest.skip("read whole by the scan (attached message)")
    assert text_might_matter(text), normalise(text)[:300]
