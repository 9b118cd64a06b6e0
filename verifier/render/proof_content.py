"""What a proof report says, in order, as layout-free blocks; the Markdown and PDF renderers only lay them out."""

from __future__ import annotations

from dataclasses import dataclass, field

from verifier.evidence.proof import Proof, ProofMail
from verifier.i18n import Texts
from verifier.model import Kind, Trust
from verifier.render.steps import accounts_text, next_steps
from verifier.report import DeadlineNote, Evidence, GroupResult, GroupStatus


@dataclass
class Heading:
    text: str
    level: int = 2
    status: GroupStatus | None = None  # a group heading: the PDF colours it


@dataclass
class Para:
    text: str
    small: bool = False


@dataclass
class Row:
    label: str
    value: str
    mono: bool = False  # hashes, addresses, ids: never hyphenated, shown in a fixed-width font


@dataclass
class Fields:
    rows: list[Row]


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    status_column: int | None = None
    statuses: list[GroupStatus] = field(default_factory=list)


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Quote:
    text: str


Block = Heading | Para | Fields | Table | Bullets | Quote


def trust_text(evidence_trust: str, t: Texts) -> str:
    return t(f"proof.trust_{evidence_trust}")


def deadline_text(note: DeadlineNote | None, t: Texts) -> str:
    if note is None:
        return ""
    reference = t.date(note.reference)
    if note.earliest_confirmation is None:  # the disclaimer closes the report once, not after every group
        return t("deadline.none", reference=reference)
    # the moment, in the reader's zone with the zone named: the day alone hid that 26 May −0700 is 27 May here
    when = t.when(note.earliest_at) if note.earliest_at else t.date(note.earliest_confirmation)
    parts = [t("deadline.before" if note.before else "deadline.on_or_after", date=when, reference=reference)]
    if note.earlier_campaign and note.earlier_paused_on:
        parts.append(t("deadline.earlier", campaign=note.earlier_campaign, paused=t.date(note.earlier_paused_on)))
    parts.append(t("deadline.delay"))
    return " ".join(parts)


def _earliest(group: GroupResult, t: Texts) -> str:
    note = group.deadline
    if note is None or note.earliest_confirmation is None:
        return "–"
    return t.date(note.earliest_confirmation)


# Which mails back which status: a 2024 code mail says nothing about "confirmed", so it is listed apart.
SUPPORTS = {
    GroupStatus.CONFIRMED: {Kind.CONFIRMATION},
    GroupStatus.UNVERIFIED: {Kind.CONFIRMATION},
    GroupStatus.PENDING: {Kind.RECEIPT, Kind.CODE},
    GroupStatus.REJECTED: {Kind.REJECTION},
    GroupStatus.MISSING: set(),
}


def supports(group: GroupResult, evidence: Evidence) -> bool:
    if evidence.kind not in SUPPORTS[group.status]:
        return False
    return group.status is not GroupStatus.CONFIRMED or evidence.trust is Trust.VERIFIED


def why_text(evidence: Evidence, mail: ProofMail | None, t: Texts) -> str:
    """The reasons in the reader's language; a phrase is quoted as the mail writes it, found in its text. For an
    imitation only why it is not Meta's: what it copies from Meta's wording proves nothing."""
    text = mail.text if mail else None
    details = evidence.details
    if evidence.trust is Trust.SUSPICIOUS:
        details = [r for r in details if r.topic == "trust"] or details
    return "; ".join(t.reason(r, text=text) for r in details) or "; ".join(evidence.reasons)


def _evidence_blocks(evidence: Evidence, proof: Proof, t: Texts, groups: list[str] | None = None) -> list[Block]:
    kind = t(f"kind.{evidence.kind.value}")
    title = t(
        "proof.imitation_title" if evidence.trust is Trust.SUSPICIOUS else "proof.evidence_title",
        kind=kind,
        date=t.date(evidence.sent_at),
    )
    if evidence.archived:
        title += f" ({t('archived')})"
    mail = proof.mail_for(evidence)
    rows = [
        Row(t("proof.sender"), evidence.sender or "?", mono=True),
        Row(t("proof.subject"), evidence.subject or "–"),
        *([Row(t("proof.mailbox"), evidence.mailbox)] if evidence.mailbox else []),
        Row(t("proof.folder"), evidence.folder),
        Row(t("proof.trust"), trust_text(evidence.trust.value, t)),
        Row(t("proof.why"), why_text(evidence, mail, t)),
        Row("SHA-256", evidence.sha256, mono=True),
    ]
    if groups:  # in "other mails": which Accounts Center it was found for
        rows.insert(0, Row(t("proof.group"), ", ".join(groups)))
    if mail:
        rows.append(Row(t("proof2.full_text"), t("proof.mail_ref", number=mail.number)))
    return [Heading(title, level=3), Fields(rows)]


def _group_blocks(group: GroupResult, proof: Proof, t: Texts) -> list[Block]:
    blocks: list[Block] = [
        Heading(f"{group.name}: {t('status.' + group.status.value)}", status=group.status),
        Fields([Row(t("proof.accounts"), accounts_text(group, t)), Row(t("proof.form"), group.form_url, mono=True)]),
    ]
    if deadline := deadline_text(group.deadline, t):
        blocks.append(Para(deadline))
    backing = [e for e in group.evidence if supports(group, e)]
    blocks += [b for e in backing for b in _evidence_blocks(e, proof, t)] or [Para(t("proof.no_evidence"))]
    return blocks


def _other_mails(proof: Proof, t: Texts) -> list[Block]:
    """Every group's mails that back no status of it, each once (codes, receipts, unverified look-alikes)."""
    others: dict[str, Evidence] = {}
    groups: dict[str, list[str]] = {}
    for group in proof.report.groups:
        for evidence in group.evidence:
            if not supports(group, evidence) and not any(
                supports(g, evidence) for g in proof.report.groups if evidence in g.evidence
            ):
                others.setdefault(evidence.sha256, evidence)
                groups.setdefault(evidence.sha256, []).append(group.name)
    if not others:
        return []
    blocks: list[Block] = [Heading(t("proof2.other_mails")), Para(t("proof2.other_mails_intro"))]
    return blocks + [b for e in others.values() for b in _evidence_blocks(e, proof, t, groups[e.sha256])]


def proof_blocks(proof: Proof, t: Texts, *, embedded: bool = True, file_name: str | None = None) -> list[Block]:
    """``embedded``: the originals are attached (PDF); a Markdown file holds text only and must not say otherwise.
    ``file_name``: the report's own name, for the "how to check this file" appendix."""
    from verifier.render.proof_appendix import checking_blocks, mail_blocks, technical_blocks
    from verifier.render.proof_stamps import stamp_blocks  # it builds on this module's blocks

    report = proof.report
    suffix = "pdf" if embedded else "md"
    blocks: list[Block] = [
        Heading(t("proof.title"), level=1),
        Para(t(f"proof2.intro_{suffix}")),
        Fields(
            [
                Row(t("proof.mailbox"), t.source(report.source)),
                Row(t("proof.checked_at"), t.when(report.checked_at, seconds=True)),
                Row(t("proof.folders"), ", ".join(report.folders) or "–"),
                Row(t("proof.tool"), f"verify-objection {proof.tool_version}"),
                Row(t("proof.archive"), proof.archive or t("proof.no_archive"), mono=bool(proof.archive)),
            ]
        ),
        Heading(t("proof.summary")),
        Table(
            [t("proof.group"), t("proof.accounts"), t("proof.status"), t("proof.earliest")],
            [[g.name, accounts_text(g, t), t("status." + g.status.value), _earliest(g, t)] for g in report.groups],
            status_column=2,
            statuses=[g.status for g in report.groups],
        ),
    ]
    if report.mailboxes:
        rows = [
            [m.name, t.source(m.source) if m.source else "–", m.error or t("proof.mailbox_read")]
            for m in report.mailboxes
        ]
        header = [t("proof.mailbox"), t("proof.source"), t("proof.status")]
        blocks += [Heading(t("proof.mailboxes")), Table(header, rows)]
    steps = next_steps(report, t, in_proof=True)
    blocks += [Heading(t("next_steps")), Bullets(steps) if steps else Para(t("nothing_to_do"))]
    for group in report.groups:
        blocks += _group_blocks(group, proof, t)
    if report.unassigned:
        blocks.append(Heading(t("proof.unassigned")))
        blocks += [b for e in report.unassigned for b in _evidence_blocks(e, proof, t)]
    blocks += _other_mails(proof, t)
    if report.warnings:
        blocks.append(Heading(t("proof.warnings")))
        blocks += [b for e in report.warnings for b in _evidence_blocks(e, proof, t)]
    if report.quoted:
        blocks.append(Heading(t("proof.quoted")))
        blocks += [b for e in report.quoted for b in _evidence_blocks(e, proof, t)]
    if report.skipped:
        blocks += [Heading(t("proof.skipped")), Bullets(report.skipped)]
    if proof.mails:
        blocks += [Heading(t("proof.mails")), Para(t(f"proof2.mails_intro_{suffix}"))]
        for mail in proof.mails:
            blocks += mail_blocks(mail, proof, t, embedded=embedded)
        blocks += technical_blocks(proof, t)
    blocks += stamp_blocks(proof, t)
    blocks += checking_blocks(t, embedded=embedded, file_name=file_name)
    return blocks
