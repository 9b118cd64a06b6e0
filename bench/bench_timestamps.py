#!/usr/bin/env python3
"""What lasting proof costs (numbers, not assertions): keeping N mails with their DKIM key, stamping them at a local
openssl TSA, `archive verify` (offline re-check of keys and tokens), and the PDF's document timestamp.

    python bench/bench_timestamps.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import dkim  # noqa: E402
from dkimkeys import TEST_KEY, TEST_SELECTOR, fixture_keys  # noqa: E402
from mailbuilder import DE_CONFIRMATION, mail  # noqa: E402
from tsa import TestTSA  # noqa: E402

from verifier.evidence.archive import Archive  # noqa: E402
from verifier.evidence.audit import audit  # noqa: E402
from verifier.evidence.stamping import stamp_pending  # noqa: E402
from verifier.model import Found  # noqa: E402
from verifier.recognise import dkimcheck  # noqa: E402
from verifier.scan import classify_raw  # noqa: E402


def signed(n: int) -> bytes:
    raw = mail(DE_CONFIRMATION, message_id=f"<{n}@mail.instagram.com>", signed=False)
    return dkim.sign(raw, TEST_SELECTOR.encode(), b"mail.instagram.com", TEST_KEY.read_bytes()) + raw


def main(count: int) -> None:
    dkimcheck.set_key_lookup(fixture_keys())
    with tempfile.TemporaryDirectory() as work, TestTSA(Path(work) / "tsa") as tsa:
        raws = [signed(n) for n in range(count)]
        found = [Found(classify_raw(raw), "INBOX", f"bench:{n}", raw) for n, raw in enumerate(raws)]
        with Archive.open(Path(work) / "a.sqlite") as archive:
            start = time.perf_counter()
            archive.store(found, datetime.now(UTC), "bench")
            kept = time.perf_counter() - start
            start = time.perf_counter()
            stamped = stamp_pending(archive, tsa.url, str(tsa.ca_file), print)
            stamping = time.perf_counter() - start
            start = time.perf_counter()
            results = audit(archive, str(tsa.ca_file))
            checking = time.perf_counter() - start
        assert stamped == count and not any(r.failed for r in results)
        print(f"{count} mails: keep with DKIM key {kept * 1000 / count:.1f} ms/mail, "
              f"stamp (2 tokens, local TSA) {stamping * 1000 / count:.1f} ms/mail, "
              f"archive verify {checking * 1000 / count:.1f} ms/mail")
        from verifier.evidence.pdfstamp import timestamp_pdf
        from verifier.evidence.proof import Proof
        from verifier.i18n import Texts
        from verifier.render.pdf import render_pdf
        from verifier.report import Report

        report = Report(source="bench", checked_at=datetime.now(UTC), groups=[])
        pdf = render_pdf(Proof(report=report, mails=[]), Texts("en"))
        start = time.perf_counter()
        timestamp_pdf(pdf, tsa.url)
        print(f"PDF document timestamp (pyHanko import included): {(time.perf_counter() - start) * 1000:.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
