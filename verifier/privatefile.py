"""Files only this user may read (mode 0600 from the first byte): the config with secrets, stored sign-ins."""

from __future__ import annotations

import os
from pathlib import Path

from verifier.errors import ConfigError


def write_private(path: Path, text: str) -> None:
    """Write ``text`` so that only this user can read it (mode 0600 from the first byte), replacing atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(path.name + ".tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)
    os.replace(partial, path)


def read_private(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as err:
        raise ConfigError(key="cannot_read", path=path, why=err.strerror) from None
