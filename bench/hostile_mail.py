"""Time and peak memory of parsing + classifying hostile mails (run by hand: python bench/hostile_mail.py)."""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hostile import HOSTILE_MAILS

from verifier.recognise.classify import classify
from verifier.recognise.mailtext import parse_mail


def main() -> None:
    print(f"{'mail':<28} {'size':>9} {'seconds':>8} {'peak MB':>8}  problems")
    for name, build in HOSTILE_MAILS.items():
        raw = build()
        tracemalloc.start()
        started = time.perf_counter()
        found = classify(parse_mail(raw))
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        problems = "; ".join(r for r in found.reasons if "unreadable" in r)[:60]
        print(f"{name:<28} {len(raw) / 2**20:>7.1f}MB {elapsed:>8.2f} {peak:>8.1f}  {problems}")
    print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
