"""Writing a proof report to disk: pick the renderer by format, write atomically, add the `.sha256` sidecar."""

from __future__ import annotations

import hashlib
from pathlib import Path

from verifier.errors import ConfigError
from verifier.evidence.proof import Proof, render_proof_json
from verifier.i18n import Texts
from verifier.privatefile import SHARED, write_atomically

FORMATS = {".md": "md", ".markdown": "md", ".pdf": "pdf", ".json": "json"}


def report_format(path: Path, explicit: str | None) -> str:
    if explicit:
        return explicit
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ConfigError(
            f"{path}: cannot tell the report format from the name; end it in .pdf, .md or .json, or pass --format."
        )
    return fmt


def render(proof: Proof, fmt: str, t: Texts) -> bytes:
    if fmt == "pdf":
        from verifier.render.pdf import render_pdf  # fpdf2 is heavy: only when a PDF is wanted

        return render_pdf(proof, t)
    if fmt == "md":
        from verifier.render.markdown import render_markdown

        return render_markdown(proof, t).encode()
    return render_proof_json(proof).encode()


def write_report(proof: Proof, path: Path, fmt: str, t: Texts) -> str:
    """Write the report and ``PATH.sha256`` (sha256sum format); returns the report's SHA-256."""
    data = render(proof, fmt, t)
    digest = hashlib.sha256(data).hexdigest()
    try:  # a half-written proof is worse than none: both files are replaced whole or not at all
        write_atomically(path, data, mode=SHARED)
        write_atomically(path.with_name(path.name + ".sha256"), f"{digest}  {path.name}\n".encode(), mode=SHARED)
    except OSError as err:
        raise ConfigError(f"{path}: cannot write the report ({err.strerror}).") from None
    return digest
