"""The proof's part on lasting evidence: the DKIM key as it was, the mail's timestamps, and what they prove."""

from __future__ import annotations

from verifier.evidence.proof import Proof, ProofMail
from verifier.i18n import Texts
from verifier.render.proof_content import Block, Heading, Para, Row


def key_rows(mail: ProofMail, t: Texts) -> list[Row]:
    """One row per DKIM signature this tool checked when keeping the mail, then the key record as it was."""
    rows = []
    for key in mail.record.authenticity.dkim_keys:
        if key.record is None:
            rows.append(Row(t("stamps.key"), f"d={key.domain} s={key.selector}: {t('stamps.no_key')}", mono=True))
            continue
        dnssec = {True: "dnssec_yes", False: "dnssec_no", None: "dnssec_unknown"}[key.dnssec]
        value = t(
            "stamps.key_value",
            name=key.name,
            when=t.when(key.fetched_at, seconds=True),
            resolver=key.resolver or t("stamps.resolver_unknown"),
            dnssec=t(f"stamps.{dnssec}"),
            result=t(f"stamps.result_{key.result}"),
        )
        rows += [Row(t("stamps.key"), value, mono=True), Row(t("stamps.key_record"), key.record, mono=True)]
    return rows


def stamp_rows(mail: ProofMail, t: Texts) -> list[Row]:
    if not mail.stamps:
        return [Row(t("stamps.not_stamped"), t("stamps.not_stamped_value"))]
    return [
        Row(t(f"stamps.stamp_{s.subject}"), t("stamps.stamp_value", when=t.when(s.gen_time, seconds=True), tsa=s.tsa))
        for s in mail.stamps
    ]


def stamp_blocks(proof: Proof, t: Texts) -> list[Block]:
    """What the timestamps prove and what they do not; whether this PDF itself carries one."""
    document = (
        t("stamps.document", tsa=proof.document_timestamp) if proof.document_timestamp else t("stamps.no_document")
    )
    return [Heading(t("stamps.heading")), Para(t("stamps.what_proves")), Para(document), Para(t("stamps.how_to_check"))]
