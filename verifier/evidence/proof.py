"""The proof a user keeps: the Report plus the evidence records and original bytes of every mail it relies on."""

from __future__ import annotations

import json
import re
from datetime import datetime

from pydantic import BaseModel, Field

from verifier import __version__
from verifier.evidence.record import EvidenceRecord
from verifier.model import Kind
from verifier.report import Evidence, Report
from verifier.safetext import Block

MAX_QUOTE_CHARS = 60_000  # ~1000 lines; beyond that the quote is cut (the embedded original stays whole)
_BLANK_RUNS = re.compile(r"\n{3,}")


class ProofStamp(BaseModel):
    """One kept RFC 3161 token, as the report names it (the token itself stays in the archive and the bundle)."""

    subject: str  # "mail": over the original bytes; "record": over the evidence record as stored
    gen_time: datetime
    tsa: str


class ProofMail(BaseModel):
    number: int  # "Mail 1", "Mail 2": how the report refers to it
    record: EvidenceRecord
    raw: bytes = Field(exclude=True, repr=False)
    text: Block = Field("", exclude=True, repr=False)  # readable body, for the quote: cleaned, line breaks kept
    shortened: bool = False
    groups: list[str] = []
    stamps: list[ProofStamp] = []

    @property
    def file_name(self) -> str:
        return f"mail-{self.number}-{self.record.sha256[:12]}.eml"


class Proof(BaseModel):
    report: Report
    mails: list[ProofMail]
    tool_version: str = __version__
    archive: str | None = None  # the archive file the evidence came from or went to, if any
    document_timestamp: str | None = None  # the TSA whose document timestamp the PDF gets; None = no timestamp

    def mail_for(self, evidence: Evidence) -> ProofMail | None:
        return next((m for m in self.mails if m.record.sha256 == evidence.sha256), None)


def readable_text(raw: bytes) -> tuple[str, bool]:
    """The body as a person reads it: trailing spaces and runs of blank lines gone, very long mails cut."""
    from verifier.recognise.mailtext import parse_mail

    lines = [line.rstrip() for line in parse_mail(raw).text.replace("\r\n", "\n").split("\n")]
    text = _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()
    if len(text) > MAX_QUOTE_CHARS:
        return text[:MAX_QUOTE_CHARS].rstrip(), True
    return text, False


def build_proof(
    report: Report,
    records: dict[str, tuple[EvidenceRecord, bytes]],
    archive: str | None = None,
    stamps: dict[int, list[ProofStamp]] | None = None,
) -> Proof:
    """One ProofMail per mail the verdict relies on (group evidence, then unassigned confirmations), in that order."""
    order: list[str] = []
    groups: dict[str, list[str]] = {}
    confirmations = {e.sha256 for g in report.groups for e in g.evidence if e.kind is Kind.CONFIRMATION}
    for group in report.groups:
        for evidence in group.evidence:
            groups.setdefault(evidence.sha256, []).append(group.name)
            order.append(evidence.sha256)
    # numbered as the report shows them: the confirmations a status rests on first, codes and receipts after
    order.sort(key=lambda sha: sha not in confirmations)
    order += [e.sha256 for e in report.unassigned]
    mails: list[ProofMail] = []
    for sha in dict.fromkeys(order):
        if sha not in records:
            continue
        record, raw = records[sha]
        text, shortened = readable_text(raw)
        mails.append(
            ProofMail(
                number=len(mails) + 1,
                record=record,
                raw=raw,
                text=text,
                shortened=shortened,
                groups=groups.get(sha, []),
                stamps=(stamps or {}).get(record.id or 0, []) if record.id else [],
            )
        )
    return Proof(report=report, mails=mails, archive=archive)


def verification_record(proof: Proof) -> dict:
    """The machine-readable part: the check's JSON document plus every evidence record (embedded in the PDF too)."""
    document = proof.report.model_dump(mode="json")
    document["tool_version"] = proof.tool_version
    document["archive"] = proof.archive
    document["evidence_records"] = [
        {
            "mail": m.number,
            "file": m.file_name,
            "groups": m.groups,
            **m.record.model_dump(mode="json"),
            "timestamps": [s.model_dump(mode="json") for s in m.stamps],
        }
        for m in proof.mails
    ]
    return document


def render_proof_json(proof: Proof) -> str:
    return json.dumps(verification_record(proof), ensure_ascii=False, indent=2) + "\n"
