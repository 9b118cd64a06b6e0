"""The proof's back half: each mail as received, its technical details in an appendix, and how to check the file.

The body speaks plain words; DKIM tags, provider headers and file locations are for whoever wants to re-check,
so they stand together at the end instead of between the reader and the text of the mails."""

from __future__ import annotations

from datetime import UTC, datetime

from verifier.evidence.proof import Proof, ProofMail
from verifier.i18n import Texts
from verifier.model import Trust
from verifier.render.proof_content import Block, Fields, Heading, Para, Quote, Row, trust_text, why_text
from verifier.report import Evidence


def _evidence_of(mail: ProofMail, proof: Proof) -> Evidence | None:
    report = proof.report
    candidates = [e for g in report.groups for e in g.evidence] + report.unassigned
    return next((e for e in candidates if e.sha256 == mail.record.sha256), None)


def _why(mail: ProofMail, proof: Proof, t: Texts) -> str:
    evidence = _evidence_of(mail, proof)
    if evidence is not None:
        return why_text(evidence, mail, t)
    return "; ".join(t.reason(r, text=mail.text) for r in mail.record.details) or "; ".join(mail.record.reasons)


def mail_blocks(mail: ProofMail, proof: Proof, t: Texts, *, embedded: bool) -> list[Block]:
    r = mail.record
    rows = [
        Row(t("proof.date"), t.when(r.sent_at, seconds=True)),
        Row(t("proof.sender"), r.sender or "?", mono=True),
        Row(t("proof.subject"), r.subject or "–"),
        Row(t("proof.groups"), ", ".join(mail.groups) or "–"),
        *([Row(t("proof.mailbox"), r.mailbox)] if r.mailbox else []),
        Row(t("proof.folder"), r.folder),
        Row(t("proof.found_at"), t.when(r.found_at)),
        Row(t("proof.trust"), f"{trust_text(r.trust.value, t)}: {_why(mail, proof, t)}"),
        Row("SHA-256", r.sha256, mono=True),
    ]
    if embedded:
        rows.append(Row(t("proof.attachment"), mail.file_name, mono=True))
    blocks: list[Block] = [Heading(t("proof.mail_title", number=mail.number, subject=r.subject or "–"), level=3)]
    blocks += [Fields(rows), Quote(mail.text or t("proof.no_text"))]
    if mail.shortened:
        blocks.append(Para(t("proof.shortened") if embedded else t("proof2.shortened_md"), small=True))
    return blocks


def technical_blocks(proof: Proof, t: Texts) -> list[Block]:
    from verifier.render.proof_stamps import key_rows, stamp_rows

    blocks: list[Block] = [Heading(t("proof2.technical")), Para(t("proof2.technical_intro"), small=True)]
    for mail in proof.mails:
        r, auth = mail.record, mail.record.authenticity
        rows = [
            Row(t("proof2.message_id"), r.message_id or "–", mono=True),
            Row(t("proof.source"), t.source(r.source)),
            Row(t("proof2.location"), r.location, mono=True),
            Row(t("proof.size"), t("words.bytes", bytes=r.size)),
            Row(t("proof.last_seen"), t.when(r.last_seen_at)),
            Row(t("proof2.checked_by"), f"{t.when(auth.checked_at)}, verify-objection {auth.tool_version}"),
        ]
        for tags in auth.dkim:
            signed = t.when(datetime.fromtimestamp(tags.t, UTC), seconds=True) if tags.t else "?"
            value = t("proof2.dkim_value", d=tags.d or "?", s=tags.s or "?", t=signed)
            rows += [Row(t("proof2.dkim"), value), Row(t("proof.body_hash"), tags.bh or "?", mono=True)]
        rows.append(Row(t("proof.auth_results"), auth.authentication_results or "–", mono=True))
        if auth.arc_authentication_results:
            rows.append(Row(t("proof.arc"), auth.arc_authentication_results, mono=True))
        rows += key_rows(mail, t) or [_key_row(mail, t)]
        rows += stamp_rows(mail, t)
        title = t("proof2.technical_title", number=mail.number, subject=r.subject or "–")
        blocks += [Heading(title, level=3), Fields(rows)]
    return blocks


def _key_row(mail: ProofMail, t: Texts) -> Row:
    """The key as kept, else why there is none: a mail without a signature has none to fetch, and "relies on your
    provider's result" is true only where that result was what made the mail verified."""
    auth = mail.record.authenticity
    if auth.dkim_key_record:
        return Row(t("proof2.key_record"), auth.dkim_key_record, mono=True)
    if not auth.dkim:
        return Row(t("proof2.key_record"), t("proof2.key_no_signature"))
    verified = mail.record.trust is Trust.VERIFIED
    return Row(t("proof2.key_record"), t("proof2.key_not_fetched" if verified else "proof2.key_not_fetched_unchecked"))


def checking_blocks(t: Texts, *, embedded: bool, file_name: str | None) -> list[Block]:
    name = file_name or t("proof2.this_file")
    text = t("proof2.how_to_check_pdf" if embedded else "proof2.how_to_check_md", file=name)
    return [Heading(t("proof2.how_to_check")), Para(text), Para(t("deadline.disclaimer"))]
