#!/usr/bin/env python3
"""How long and how much memory classifying huge mails takes (numbers, not assertions).

    python bench/bench_big_mail.py [MB ...]

Builds, per size, a Meta-looking HTML-only mail (nested tables, &nbsp;, &shy; inside words) with the confirmation
sentence at the start, a base64 copy of it, and a text/plain one; prints parse+classify time and peak memory.
"""

from __future__ import annotations

import base64
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from verifier.recognise.classify import classify
from verifier.recognise.mailtext import parse_mail

HEAD = (
    "From: Instagram <no-reply@mail.instagram.com>\r\nTo: x@example.org\r\nSubject: Big\r\n"
    "Date: Tue, 20 May 2025 10:00:00 +0000\r\nMessage-ID: <big@mail.instagram.com>\r\nMIME-Version: 1.0\r\n"
)
OPENING = (
    "<p>Hallo lord.canterville,</p><p>wir erkennen deinen Einspruch an. Wir werden deinem Widerspruch auch für alle "
    "Konten nachkommen, die du derselben Konten&shy;übersicht hinzugefügt hast.</p>"
)
ROW = "<tr><td style='padding:0'>Zeile&nbsp;mit&nbsp;Text und Konten&shy;übersicht</td><td><br>Spalte</td></tr>"


def html_document(megabytes: int) -> str:
    rows = (megabytes * 2**20) // len(ROW)
    return "<html><body>" + OPENING + "<table>" + ROW * rows + "</table></body></html>"


def build(megabytes: int, encoding: str, subtype: str) -> bytes:
    body = html_document(megabytes)
    if subtype == "plain":
        body = "Hallo lord.canterville,\n\nwir erkennen deinen Einspruch an. Dein Widerspruch gilt.\n" + "Zeile\n" * (
            megabytes * 2**20 // 6
        )
    data = body.encode("utf-8")
    if encoding == "base64":
        data = base64.encodebytes(data)
    headers = f"Content-Type: text/{subtype}; charset=utf-8\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n"
    return (HEAD + headers).encode() + data


def measure(raw: bytes) -> tuple[float, float, str, str]:
    start = time.perf_counter()
    found = classify(parse_mail(raw))
    elapsed = time.perf_counter() - start  # timed without tracemalloc, which slows parsing down several times
    tracemalloc.start()
    classify(parse_mail(raw))
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return elapsed, peak, found.kind.value, "; ".join(r for r in found.reasons if "unreadable" in r)[:100]


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1, 10]
    print(f"{'MB':>4} {'part':<6} {'encoding':<9} {'seconds':>8} {'peak MB':>8}  kind / what was cut")
    for megabytes in sizes:
        for subtype, encoding in (("html", "8bit"), ("html", "base64"), ("plain", "8bit")):
            raw = build(megabytes, encoding, subtype)
            seconds, peak, kind, note = measure(raw)
            print(f"{len(raw) / 2**20:4.1f} {subtype:<6} {encoding:<9} {seconds:8.2f} {peak:8.0f}  {kind} / {note}")
    print(f"max RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
