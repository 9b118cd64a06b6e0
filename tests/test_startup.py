"""The check path imports only what the run uses, and what replaced a library for start-up reads like it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from verifier.recognise.dkimcheck import signing_domains

FIXTURES = sorted((Path(__file__).parent.parent / "fixtures" / "mails").glob("*.eml"))


def dkimpy_signing_domains(raw: bytes) -> list[str]:
    """What signing_domains was, with dkimpy's own parsers; d= is the sender's to choose, so only what a DNS name can
    hold is kept (anything else shown as "?")."""
    import dkim
    from dkim.util import parse_tag_value

    try:
        headers = dkim.DKIM(raw).headers
    except Exception:
        return []
    domains = []
    for name, value in headers:
        if name.lower() == b"dkim-signature":
            try:
                domain = parse_tag_value(value).get(b"d", b"").decode("ascii", "replace")
                domains.append(re.sub(r"[^A-Za-z0-9._-]", "?", domain).lower())
            except Exception:
                domains.append("")
    return domains


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_signing_domains_without_dkimpy_are_dkimpys_on_every_fixture(path: Path):
    raw = path.read_bytes()
    assert signing_domains(raw) == dkimpy_signing_domains(raw)


HOSTILE = [
    b"",
    b"\r\n\r\nbody",
    b" folded first line\r\nDKIM-Signature: d=a.example\r\n\r\n",
    b"From someone Mon\r\nDKIM-Signature: v=1; d=Meta.COM;\r\n\r\n",
    b"DKIM-Signature: d=a; d=b\r\n\r\n",
    b"DKIM-Signature: v=1; =x; d=a\r\n\r\n",
    b"DKIM-Signature: v=1;\r\n\td=folded.example; s=x\r\nNo colon here\r\n\r\n",
    b"dkim-signature: d=lower.example\nDKIM-Signature: noequals\n\nDKIM-Signature: d=body.example\n",
    b"X: y\r\r\nDKIM-Signature: d=a\r\n\r\n",
]


@pytest.mark.parametrize("raw", HOSTILE)
def test_signing_domains_on_broken_headers_are_dkimpys(raw: bytes):
    assert signing_domains(raw) == dkimpy_signing_domains(raw)


@given(st.lists(st.sampled_from([b"DKIM-Signature:", b" d=", b"a.example", b";", b"=", b"\r\n", b"\n", b"\t",
                                 b"From ", b"X:", b" ", b"s=1", b"\xff", b"d"]), max_size=30))
@example([b"DKIM-Signature:", b" d=", b"DKIM-Signature:"])  # a d= no DNS name can be: kept as "dkim-signature?"
def test_signing_domains_agree_with_dkimpy_on_generated_headers(parts: list[bytes]):
    raw = b"".join(parts)
    assert signing_domains(raw) == dkimpy_signing_domains(raw)


@pytest.mark.slow  # a fresh Python process: only there is sys.modules what a check alone imports
def test_a_check_imports_no_pdf_oauth_or_dkim_library(tmp_path: Path):
    """A check of the demo mailbox with JSON output: no PDF, no OAuth, no DKIM library (only what it uses)."""
    probe = (
        "import sys\n"
        "from verifier.cli.main import main\n"
        "try:\n"
        "    main(['check', '--demo', '--json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('fpdf', 'msal', 'google', 'requests', 'dkim', 'rich', 'PIL', 'fontTools')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env={"VERIFY_OBJECTION_ARCHIVE__PATH":
                                                                             str(tmp_path / "a.sqlite"),
                                                                             "PATH": "/usr/bin:/bin"},
    )
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr[-2000:]
