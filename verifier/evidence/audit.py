"""`archive verify`, offline: each kept mail's hash, its DKIM signatures against the keys as kept, its timestamps.

No network is used: the DKIM keys are the records kept at the check, the TSA chain ends in the configured
timestamp_ca_file or the system's trust store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from verifier.evidence.archive import Archive, Mismatch
from verifier.evidence.record import DkimKey
from verifier.evidence.stampstore import Stamp
from verifier.i18n import active


@dataclass(frozen=True)
class KeyCheck:
    key: DkimKey
    verifies: bool  # against the key as kept, now

    @property
    def regressed(self) -> bool:
        """Verified when kept but not any more: the bytes changed, or the kept key was."""
        return self.key.result == "pass" and not self.verifies


@dataclass(frozen=True)
class StampCheck:
    stamp: Stamp
    proves: datetime | None  # the time the token proves; None when it is invalid
    tsa: str = ""
    problem: str = ""


@dataclass
class MailAudit:
    id: int
    altered: Mismatch | None = None
    keys: list[KeyCheck] = field(default_factory=list)
    stamps: list[StampCheck] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.altered) or any(k.regressed for k in self.keys) or any(s.problem for s in self.stamps)


def audit(archive: Archive, ca_file: str = "") -> list[MailAudit]:
    from verifier.recognise import dkimcheck

    _checked, mismatches = archive.verify()
    altered = {m.id: m for m in mismatches}
    stamps = archive.stamps()
    roots = _roots(ca_file) if stamps else []
    results = []
    for record in archive.records():
        mail_id = record.id or 0
        raw = archive.raw(mail_id)
        result = MailAudit(mail_id, altered.get(mail_id))
        for key in record.authenticity.dkim_keys:
            if key.record is not None:
                result.keys.append(KeyCheck(key, dkimcheck.verify_against(raw, key.header_index, key.record)))
        for stamp in (s for s in stamps if s.mail_id == mail_id):
            data = raw if stamp.subject == "mail" else archive.stored_record(mail_id)
            result.stamps.append(_check_stamp(stamp, data, roots))
        results.append(result)
    return results


def _roots(ca_file: str) -> list | str:
    from verifier.evidence.timestamps import TimestampInvalid, trust_roots

    try:
        return trust_roots(ca_file)
    except TimestampInvalid as err:
        return err.text(active().lang)


def _check_stamp(stamp: Stamp, data: bytes, roots: list | str) -> StampCheck:
    from verifier.evidence.timestamps import TimestampInvalid, check_token

    if isinstance(roots, str):
        return StampCheck(stamp, None, problem=roots)
    try:
        verified = check_token(stamp.token, data, roots)
    except TimestampInvalid as err:
        return StampCheck(stamp, None, problem=err.text(active().lang))
    if verified.gen_time != stamp.gen_time:
        return StampCheck(stamp, verified.gen_time, verified.tsa, "the token names another time than the archive")
    return StampCheck(stamp, verified.gen_time, verified.tsa)
