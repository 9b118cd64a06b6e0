"""Where the evidence archive lives: --archive, else [archive] path, else the platform's data directory.

Apart from the archive itself, so that a check can take its run lock (next to the archive) and start logging in
before the archive's code is loaded."""

from __future__ import annotations

from pathlib import Path

FILE_NAME = "evidence.sqlite"


def default_archive_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("verify-objection") / FILE_NAME


def resolve_archive_path(cli_path: str | None, configured: str) -> Path:
    if cli_path:
        return Path(cli_path)
    return Path(configured).expanduser() if configured else default_archive_path()
