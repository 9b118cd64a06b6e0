"""The report as one JSON document (scripts and cron jobs rely on its keys)."""

from __future__ import annotations

import json

from verifier.report import Report


def render_json(report: Report) -> str:
    return json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
