"""Ready-to-paste schedules for unattended checks: a crontab line and a systemd user timer with its service."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path


def command_line(config: Path, lang: str) -> str:
    """The absolute command a scheduler runs: cron and systemd know neither the venv nor the working directory."""
    # Not resolved: a venv's python is a symlink to the base interpreter, which would lose the venv's packages.
    beside = Path(sys.executable).absolute().parent / "verify-objection"
    found = str(beside) if beside.is_file() else shutil.which("verify-objection")
    program = [str(Path(found).absolute())] if found else [str(Path(sys.executable).absolute()), "-m", "verifier"]
    return shlex.join([*program, "--lang", lang, "--config", str(config.resolve()), "check", "--quiet"])


def crontab_line(command: str, minute: int = 17, hour: int = 9) -> str:
    # cron mails whatever the command prints; --quiet prints only when something changed
    return f"{minute} {hour} * * * {command}"


def systemd_units(command: str, service_description: str, timer_description: str) -> dict[str, str]:
    """The descriptions are what `systemctl --user status` shows: in the user's language (data/ui, [schedule])."""
    service = (
        "[Unit]\n"
        f"Description={service_description}\n"
        "Wants=network-online.target\nAfter=network-online.target\n\n"
        "[Service]\nType=oneshot\n"
        f"ExecStart={command}\n"
        # exit 1 (a group needs action) is a verdict, not a failure of the unit
        "SuccessExitStatus=1\n"
    )
    timer = (
        f"[Unit]\nDescription={timer_description}\n\n"
        "[Timer]\nOnCalendar=daily\nRandomizedDelaySec=1h\nPersistent=true\n\n"
        "[Install]\nWantedBy=timers.target\n"
    )
    return {"verify-objection.service": service, "verify-objection.timer": timer}
