"""ARC (RFC 8617) checked by dkimpy: a chain counts only when every seal and the newest message signature verify.

An ARC-Authentication-Results header alone is text anyone can write (a forged ``i=9`` over the real ``i=1``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from verifier.recognise import dkimcheck

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ArcResult:
    valid: bool  # the whole chain verified (cv=pass), every seal and the newest message signature
    sealer: str = ""  # d= of the newest ARC-Seal
    instance: int = 0


def arc_check(raw: bytes, lookup: dkimcheck.KeyLookup | None = None) -> ArcResult:
    """dkimpy's ARC chain validation; a broken or unverifiable chain is simply not valid."""
    import dkim

    try:
        cv, results, _comment = dkim.arc_verify(raw, dnsfunc=dkimcheck.key_lookup(lookup), minkey=1024)
    except Exception as err:
        log.debug("ARC verification raised %s", type(err).__name__)
        return ArcResult(False)
    if cv != dkim.CV_Pass or not results:
        return ArcResult(False)
    newest = max(results, key=lambda r: int(r.get("instance", 0)))
    sealer = (newest.get("as-domain") or b"").decode("ascii", "replace").strip().lower()
    return ArcResult(True, sealer, int(newest.get("instance", 0)))
