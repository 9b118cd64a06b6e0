"""`inspect --anonymise`: a copy a user can share to teach the tool a new wording, without anything of theirs."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run

from verifier.recognise.anonymise import anonymise
from verifier.recognise.mailtext import parse_mail
from verifier.scan import classify_raw

MAILS = Path(__file__).resolve().parent.parent / "fixtures" / "mails"
PERSONAL = {
    "confirmation_de_instagram_outlook": ["erika", "mustermann", "outlook.de", "revoke_wrong_email", "uidb36"],
    "confirmation_de_facebook_gmail": ["Erika", "mustermann", "gmail.com"],
    "code_de_2024_instagram": ["erika", "gmail.com", "uidb36"],
    "unclear_de_2025_reworded": ["Anna-Lena", "anna-lena", "gmx.de", "schmidt"],
    "phishing_lookalike_domain_de": ["instagram-help-center.com", "7731902"],
}


@pytest.mark.parametrize("name", sorted(PERSONAL))
def test_the_copy_keeps_metas_words_and_drops_what_is_the_users(name: str):
    raw = (MAILS / f"{name}.eml").read_bytes()
    copy = anonymise(raw)
    text = copy.decode("utf-8", "replace")
    for detail in PERSONAL[name]:
        assert detail.casefold() in (raw.decode("utf-8", "replace") + parse_mail(raw).text).casefold()  # was there
        assert detail.casefold() not in text.casefold(), detail
    for header in ("DKIM-Signature", "Authentication-Results", "Received", "List-Unsubscribe"):
        assert header.casefold() + ":" not in text.casefold()
    original, shared = classify_raw(raw), classify_raw(copy)
    if original.meta_sender:  # Meta's words stay readable (a look-alike sender becomes example.org)
        assert (shared.kind, shared.language) == (original.kind, original.language)
    assert shared.trust.value != "verified"  # a copy is never evidence


def test_inspect_anonymise_writes_the_copy_beside_the_file(tmp_path: Path):
    mail = tmp_path / "meta.eml"
    mail.write_bytes((MAILS / "unclear_de_2025_reworded.eml").read_bytes())
    result = run("--lang", "de", "inspect", "--anonymise", str(mail))
    assert result.exit_code == 0
    copy = tmp_path / "meta.eml.anonymised.eml"
    assert copy.is_file() and (copy.stat().st_mode & 0o777) == 0o600
    assert "anonymisierte Kopie" in result.stderr and str(copy) in result.stderr
    assert "Widerspruch" in copy.read_text("utf-8")
