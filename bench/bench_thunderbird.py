#!/usr/bin/env python3
"""How long `check --mailbox thunderbird:PROFILE` takes on a big profile, and how much memory (numbers only).

    python bench/bench_thunderbird.py [MESSAGES ...]      # default: 10000 50000

Builds a profile with one IMAP account: an INBOX mbox holding MESSAGES mails (2% Meta notifications of ~30 KB, the
rest ~4 KB ordinary mail, one confirmation) and a Junk mbox with one confirmation; then runs the real CLI on it in a
child process and prints wall time, peak RSS and the mbox size. Local sources are read whole on every run, so this
is the cost of every run.
"""

from __future__ import annotations

import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests")]

from mailbuilder import DE_CONFIRMATION, NOTIFICATION, mail  # noqa: E402
from test_thunderbird import MORK, thunderbird_mbox  # noqa: E402

CONFIG = """
[[groups]]
name = "Privat"
accounts = [ { platform = "instagram", username = "lord.canterville" } ]
"""


def build(root: Path, count: int) -> Path:
    rng = random.Random(count)
    profile = root / "profile"
    account = profile / "ImapMail" / "imap.gmx.net"
    account.mkdir(parents=True)
    filler = "Hallo, anbei die Unterlagen für Dienstag. Viele Grüße\n" * 70
    meta = NOTIFICATION + "Sieh dir an, was du verpasst hast.\n" * 800
    with (account / "INBOX").open("wb") as inbox:
        for number in range(count):
            if rng.random() < 0.02:
                raw = mail(meta, message_id=f"<n{number}@mail.instagram.com>")
            else:
                raw = mail(filler, sender="Tante Erna <erna@web.de>", auth=None, signed=False,
                           message_id=f"<m{number}@web.de>")
            inbox.write(thunderbird_mbox(raw))
        inbox.write(thunderbird_mbox(mail(DE_CONFIRMATION, message_id="<conf@mail.instagram.com>")))
    (account / "INBOX.msf").write_bytes(MORK)
    (account / "Junk").write_bytes(thunderbird_mbox(mail(DE_CONFIRMATION)))
    (account / "Junk.msf").write_bytes(MORK)
    return profile


def main(sizes: list[int]) -> None:
    print("| messages | INBOX MB | wall s | peak RSS MB | exit |")
    print("|---|---|---|---|---|")
    for count in sizes:
        with tempfile.TemporaryDirectory() as directory:
            root = Path(directory)
            profile = build(root, count)
            config = root / "config.toml"
            config.write_text(CONFIG, encoding="utf-8")
            size = (profile / "ImapMail" / "imap.gmx.net" / "INBOX").stat().st_size / 2**20
            argv = [sys.executable, "-m", "verifier", "--config", str(config), "check", "--no-archive",
                    "--mailbox", f"thunderbird:{profile}", "--json"]
            started = time.perf_counter()
            done = subprocess.run(argv, capture_output=True, cwd=ROOT, check=False)
            wall = time.perf_counter() - started
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(f"| {count} | {size:.0f} | {wall:.1f} | {peak:.0f} | {done.returncode} |")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [10000, 50000])
