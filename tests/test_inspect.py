"""`verify-objection inspect`: the JSON contract, exit codes, and agreement with `check` on the same mails."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

from helpers import run, run_json, statuses, write_config

from verifier.recognise.inspect import inspect_file
from verifier.recognise.mailtext import parse_mail
from verifier.scansteps import collect
from verifier.sources.local import open_local

MAILS = Path(__file__).resolve().parent.parent / "fixtures" / "mails"
KEYS = {"file", "message_id", "kind", "platform", "language", "accounts", "recipient", "sent_at", "trust",
        "forwarded", "reasons", "sha256"}  # fmt: skip


def test_json_lists_one_object_per_file_with_the_documented_keys():
    files = [str(MAILS / "confirmation_fr_instagram.eml"), str(MAILS / "phishing_lookalike_domain_de.eml")]
    code, _ = 0, None
    result = run("inspect", "--json", *files)
    documents = json.loads(result.stdout)
    assert result.exit_code == code
    assert [d["file"] for d in documents] == files
    assert all(d.keys() >= KEYS for d in documents)
    first, second = documents
    assert (first["kind"], first["trust"], first["language"]) == ("confirmation", "verified", "fr")
    assert first["sent_at"] == "2025-05-23T01:12:40-07:00"
    assert second["trust"] == "suspicious" and second["reasons"]


def test_a_missing_file_is_exit_2_and_the_others_are_still_reported(tmp_path: Path):
    good = MAILS / "receipt_en_facebook.eml"
    result = run("inspect", "--json", str(tmp_path / "gone.eml"), str(good), str(tmp_path))
    assert result.exit_code == 2
    documents = json.loads(result.stdout)
    assert [d["kind"] for d in documents] == [None, "receipt", None]
    assert documents[0]["error"] == "no such file" and documents[2]["error"]


def test_garbage_file_is_read_and_reported_not_an_error(tmp_path: Path):
    junk = tmp_path / "junk.eml"
    junk.write_bytes(b"\x00\xff not a mail \r\n\r\n\xfe")
    result = run("inspect", "--json", str(junk))
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["kind"] == "unrelated"


def test_plain_output_explains_in_german():
    result = run("--lang", "de", "inspect", str(MAILS / "phishing_freemail_display_name_en.eml"))
    assert result.exit_code == 0
    assert "VERDÄCHTIG" in result.stdout
    assert "kommt aber von gmail.com, einer Adresse, die nicht zu Meta gehört" in result.stdout


def test_inspect_and_check_agree_on_the_same_mails():
    """Every mail check picks up from a folder of .eml files is classified exactly as inspect classifies the file."""
    source = open_local(str(MAILS))
    found = collect(source, date(2024, 1, 1))
    assert len(found) >= 30  # the Meta-sender pre-filter keeps most of the corpus
    # Whose Authentication-Results count is decided per mailbox (recognise/voice.py): the corpus mixes recipients
    # of several providers, so trust agrees only for mails to the mailbox's own (most common) recipient domain.
    domains = Counter((f.classification.recipient or "").rpartition("@")[2] for f in found)
    own = domains.most_common(1)[0][0]
    agreeing = 0
    for item in found:
        path = Path(item.location.removeprefix("eml:"))
        alone = inspect_file(path)
        c = item.classification
        assert (alone.kind, alone.accounts, alone.sha256) == (c.kind, c.accounts, c.sha256), path.name
        recipients = parse_mail(path.read_bytes()).to
        if recipients and recipients[0].endswith("@" + own):
            assert (alone.trust, alone.reasons) == (c.trust, c.reasons), path.name
            agreeing += 1
    assert agreeing >= 10


def test_check_on_the_corpus_gives_statuses_from_trust(tmp_path: Path):
    groups = """
[[groups]]
name = "Erika"
accounts = [ { platform = "instagram", username = "erika.muster" } ]
[[groups]]
name = "Tom"
accounts = [ { platform = "instagram", username = "tom.becker.photo" } ]
[[groups]]
name = "Gerd"
accounts = [ { platform = "instagram", username = "g.hofmann" } ]
"""
    config = write_config(tmp_path, groups=groups)
    code, document = run_json("--config", str(config), "check", "--mailbox", str(MAILS))
    # Erika: verified confirmations; Tom: only a saved copy without any proof; Gerd: a 2024 rejection, and his
    # confirmation names no account
    assert statuses(document) == {"Erika": "confirmed", "Tom": "unverified", "Gerd": "rejected"}
    assert code == 1
    assert any(w["sender"] == "security@instagram-help-center.com" for w in document["warnings"])
