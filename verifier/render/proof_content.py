"""What a proof report says, in order, as layout-free blocks; the Markdown and PDF renderers only lay them out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from verifier.evidence.proof import Proof, ProofMail
from verifier.i18n import Texts
from verifier.model import Trust
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


def utc(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "?"


def trust_text(evidence_trust: str, t: Texts) -> str:
    return t(f"proof.trust_{evidence_trust}")


def deadline_text(note: DeadlineNote | None, t: Texts) -> str:
    if note is None:
        return ""
    reference = t.date(datetime.combine(note.reference, datetime.min.time()))
    if note.earliest_confirmation is None:
        return f"{t('deadline.none', reference=reference)} {t('deadline.disclaimer')}"
    when = t.date(datetime.combine(note.earliest_confirmation, datetime.min.time()))
    parts = [t("deadline.before" if note.before else "deadline.on_or_after", date=when, reference=reference)]
    if note.earlier_campaign and note.earlier_paused_on:
        paused = t.date(datetime.combine(note.earlier_paused_on, datetime.min.time()))
        parts.append(t("deadline.earlier", campaign=note.earlier_campaign, paused=paused))
    parts += [t("deadline.delay"), t("deadline.disclaimer")]
    return " ".join(parts)


def _earliest(group: GroupResult, t: Texts) -> str:
    note = group.deadline
    if note is None or note.earliest_confirmation is None:
        return "–"
    return t.date(datetime.combine(note.earliest_confirmation, datetime.min.time()))


def _evidence_blocks(evidence: Evidence, proof: Proof, t: Texts) -> list[Block]:
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
        Row(t("proof.folder"), evidence.folder),
        Row(t("proof.trust"), trust_text(evidence.trust.value, t)),
        # in the reader's language; the evidence record further down keeps the words as they were stored
        Row(t("proof.why"), "; ".join(t.reason(r) for r in evidence.details) or "; ".join(evidence.reasons)),
        Row("SHA-256", evidence.sha256, mono=True),
    ]
    if mail:
        rows.append(Row("→", t("proof.mail_ref", number=mail.number)))
    return [Heading(title, level=3), Fields(rows)]


def _group_blocks(group: GroupResult, proof: Proof, t: Texts) -> list[Block]:
    blocks: list[Block] = [
        Heading(f"{group.name}: {t('status.' + group.status.value)}", status=group.status),
        Fields([Row(t("proof.accounts"), accounts_text(group)), Row(t("proof.form"), group.form_url, mono=True)]),
    ]
    if deadline := deadline_text(group.deadline, t):
        blocks.append(Para(deadline))
    blocks += [b for e in group.evidence for b in _evidence_blocks(e, proof, t)] or [Para(t("proof.no_evidence"))]
    return blocks


def _mail_blocks(mail: ProofMail, t: Texts) -> list[Block]:
    from verifier.render.proof_stamps import key_rows, stamp_rows

    r, auth = mail.record, mail.record.authenticity
    rows = [
        Row(t("proof.date"), utc(r.sent_at)),
        Row(t("proof.sender"), r.sender or "?", mono=True),
        Row(t("proof.subject"), r.subject or "–"),
        Row(t("proof.message_id"), r.message_id or "–", mono=True),
        Row(t("proof.groups"), ", ".join(mail.groups) or "–"),
        Row(t("proof.source"), r.source),
        Row(t("proof.folder"), r.folder),
        Row(t("proof.location"), r.location, mono=True),
        Row(t("proof.found_at"), utc(r.found_at)),
        Row(t("proof.last_seen"), utc(r.last_seen_at)),
        Row("SHA-256", r.sha256, mono=True),
        Row(t("proof.size"), t("proof.size_value", bytes=r.size)),
        Row(t("proof.attachment"), mail.file_name, mono=True),
        Row(t("proof.evidence_checked"), f"{utc(auth.checked_at)} (verify-objection {auth.tool_version})"),
        Row(t("proof.trust"), f"{trust_text(r.trust.value, t)}: {'; '.join(r.reasons)}"),
    ]
    for tags in auth.dkim:
        signed = utc(datetime.fromtimestamp(tags.t, UTC)) if tags.t else "?"
        rows.append(Row(t("proof.dkim"), t("proof.dkim_value", d=tags.d or "?", s=tags.s or "?", t=signed), mono=True))
        rows.append(Row(t("proof.body_hash"), tags.bh or "?", mono=True))
    rows.append(Row(t("proof.auth_results"), auth.authentication_results or "–", mono=True))
    if auth.arc_authentication_results:
        rows.append(Row(t("proof.arc"), auth.arc_authentication_results, mono=True))
    rows += key_rows(mail, t) or [Row(t("proof.key_record"), auth.dkim_key_record or t("proof.not_fetched"), mono=True)]
    rows += stamp_rows(mail, t)
    text = mail.text or t("proof.no_text")
    blocks: list[Block] = [Heading(t("proof.mail_title", number=mail.number, subject=r.subject or "–"), level=3)]
    blocks += [Fields(rows), Quote(text)]
    if mail.shortened:
        blocks.append(Para(t("proof.shortened"), small=True))
    return blocks


def proof_blocks(proof: Proof, t: Texts) -> list[Block]:
    from verifier.render.proof_stamps import stamp_blocks  # it builds on this module's blocks

    report = proof.report
    blocks: list[Block] = [
        Heading(t("proof.title"), level=1),
        Para(t("proof.intro")),
        Fields(
            [
                Row(t("proof.mailbox"), report.source),
                Row(t("proof.checked_at"), utc(report.checked_at)),
                Row(t("proof.folders"), ", ".join(report.folders) or "–"),
                Row(t("proof.tool"), f"verify-objection {proof.tool_version}"),
                Row(t("proof.archive"), proof.archive or t("proof.no_archive"), mono=bool(proof.archive)),
            ]
        ),
        Heading(t("proof.summary")),
        Table(
            [t("proof.group"), t("proof.accounts"), t("proof.status"), t("proof.earliest")],
            [[g.name, accounts_text(g), t("status." + g.status.value), _earliest(g, t)] for g in report.groups],
            status_column=2,
            statuses=[g.status for g in report.groups],
        ),
    ]
    steps = next_steps(report, t)
    blocks += [Heading(t("next_steps")), Bullets(steps) if steps else Para(t("nothing_to_do"))]
    for group in report.groups:
        blocks += _group_blocks(group, proof, t)
    if report.unassigned:
        blocks.append(Heading(t("proof.unassigned")))
        blocks += [b for e in report.unassigned for b in _evidence_blocks(e, proof, t)]
    if report.warnings:
        blocks.append(Heading(t("proof.warnings")))
        blocks += [b for e in report.warnings for b in _evidence_blocks(e, proof, t)]
    if report.skipped:
        blocks += [Heading(t("proof.skipped")), Bullets(report.skipped)]
    if proof.mails:
        blocks += [Heading(t("proof.mails")), Para(t("proof.mails_intro"))]
        for mail in proof.mails:
            blocks += _mail_blocks(mail, t)
    blocks += stamp_blocks(proof, t)
    blocks += [Heading(t("proof.about")), Para(t("proof.how_to_check")), Para(t("deadline.disclaimer"))]
    return blocks
