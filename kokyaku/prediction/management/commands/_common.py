"""What the prediction commands share: the --as-of date, the --json target and the metrics table."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from kokyaku.lib.tabular import display_width
from kokyaku.prediction.presenters import reason_text


def as_of_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("--as-of: %(value)s is not a date (use YYYY-MM-DD)") % {"value": repr(value)}) from None


def write_json(path: str, data: Any, stdout: Any) -> None:
    """Write ``data`` as JSON to ``path`` ("-" is standard output)."""
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    if path == "-":
        stdout.write(text)
        return
    try:
        Path(path).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise CommandError(_("--json: cannot write %(path)s: %(error)s") % {"path": path, "error": exc.strerror}) from None


def _num(value: Any, fmt: str) -> str:
    return "–" if value is None else format(value, fmt)


def metrics_lines(title: str, part: dict[str, Any]) -> list[str]:
    """The metrics of one model against its baselines, and which source serves and why."""
    lines = [
        _("%(title)s: serving %(serving)s (%(reason)s)")
        % {"title": title, "serving": part.get("serving"), "reason": part.get("reason")},
        f"  {reason_text(str(part.get('reason')))}",
    ]
    split = part.get("split") or {}
    if split:
        lines.append(_("  split: %(split)s") % {"split": ", ".join(f"{k} {v}" for k, v in split.items())})
    metrics = part.get("metrics") or {}
    if metrics:
        log_loss = _("log loss")
        lines.append(f"  {'':<12} {'AUC':>6} {'Brier':>7} {' ' * (8 - display_width(log_loss))}{log_loss} {'ECE':>6} {'n':>9}")
        for name, m in metrics.items():
            lines.append(
                f"  {name:<12} {_num(m.get('auc'), '.3f'):>6} {_num(m.get('brier'), '.4f'):>7} "
                f"{_num(m.get('log_loss'), '.4f'):>8} {_num(m.get('ece'), '.3f'):>6} {m.get('n', 0):>9,}"
            )
    return lines


def report_lines(report: dict[str, Any]) -> list[str]:
    return [
        *metrics_lines(_("deal model (will an open deal be won)"), report.get("deal") or {}),
        "",
        *metrics_lines(_("repeat-purchase model (buys in the next quarter)"), report.get("repeat") or {}),
    ]
