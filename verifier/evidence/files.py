"""Writing a proof report to disk: pick the renderer by format, write atomically, add the `.sha256` sidecar."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
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
        raise ConfigError(key="report_format", path=path)
    return fmt


def render(proof: Proof, fmt: str, t: Texts, file_name: str | None = None) -> bytes:
    """``file_name``: the report's own name, so that "how to check this file" names the file the reader holds."""
    if fmt == "pdf":
        from verifier.render.pdf import render_pdf  # fpdf2 is heavy: only when a PDF is wanted

        return render_pdf(proof, t, file_name)
    if fmt == "md":
        from verifier.render.markdown import render_markdown

        return render_markdown(proof, t, file_name).encode()
    return render_proof_json(proof).encode()


def render_stamped(
    proof: Proof, t: Texts, url: str, warn: Callable[[str], None], file_name: str | None = None
) -> bytes:
    """The PDF with a document timestamp from ``url``; unreachable or refused, the PDF without one (and saying so)."""
    from verifier.evidence.pdfstamp import timestamp_pdf
    from verifier.evidence.timestamps import TimestampInvalid, TimestampUnavailable, tsa_host

    stamped = proof.model_copy(update={"document_timestamp": tsa_host(url)})
    try:
        return timestamp_pdf(render(stamped, "pdf", t, file_name), url)
    except (TimestampUnavailable, TimestampInvalid) as err:
        from verifier.i18n import active

        said = err.text(active().lang) if hasattr(err, "text") else str(err)
        warn(active()("cli.no_document_stamp", why=said))
        return render(proof.model_copy(update={"document_timestamp": None}), "pdf", t, file_name)


def write_report(
    proof: Proof, path: Path, fmt: str, t: Texts, *, timestamp_url: str = "", warn: Callable[[str], None] = print
) -> str:
    """Write the report and ``PATH.sha256`` (sha256sum format); returns the report's SHA-256. A PDF gets a document
    timestamp when ``timestamp_url`` names a TSA."""
    if fmt == "pdf" and timestamp_url:
        data = render_stamped(proof, t, timestamp_url, warn, path.name)
    else:
        data = render(proof, fmt, t, path.name)
    digest = hashlib.sha256(data).hexdigest()
    try:  # a half-written proof is worse than none: both files are replaced whole or not at all
        write_atomically(path, data, mode=SHARED)
        write_atomically(path.with_name(path.name + ".sha256"), f"{digest}  {path.name}\n".encode(), mode=SHARED)
    except OSError as err:
        raise ConfigError(key="cannot_write", path=path, why=err.strerror) from None
    return digest
