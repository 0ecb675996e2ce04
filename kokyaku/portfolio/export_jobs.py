"""Large downloads as background jobs: the accounts export of a big snapshot is written by a job, then downloaded.

A download of the accounts table streams from the request while the snapshot holds at most
``KOKYAKU_EXPORT_SYNC_ACCOUNTS`` (50,000) accounts (a few seconds); above that, "Download" queues an
``export_accounts`` job (managers): it writes the file under ``KOKYAKU_DATA_DIR/exports/`` (through a
temporary file renamed when complete: nothing half-written), its progress bar counts the rows, and
its page links the file. Files older than ``EXPORT_KEEP_DAYS`` are pruned when the next one is written.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import QueryDict
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kokyaku.crm.permissions import rep_of
from kokyaku.jobs.registry import Actor, Kind, Outcome, Report, register
from kokyaku.portfolio import export, selectors
from kokyaku.portfolio.forms import TableFilterForm
from kokyaku.portfolio.models import Snapshot

EXPORT_KEEP_DAYS = 7
_NAME = "{uid}-{name}"


def int_param(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def exports_dir() -> Path:
    return Path(settings.DATA_DIR) / "exports"


def snapshot_of(query: QueryDict) -> Snapshot | None:
    """``?snapshot=ID`` (None when unknown), else the latest."""
    wanted = query.get("snapshot")
    if wanted and wanted != "latest":
        snapshot_id = int_param(wanted)
        return selectors.snapshot_get(snapshot_id) if snapshot_id else None
    return selectors.snapshot_latest()


def accounts_export_for(user: Actor, query: QueryDict, snapshot: Snapshot, *, mine: bool) -> export.Export | None:
    """The accounts export the accounts (or My portfolio) page's query asks for; None for a user without a rep on mine."""
    rep = rep_of(user) if user is not None else None
    if mine and rep is None:
        return None
    owner = int_param(query.get("owner"))  # validated against the one rep asked for, not a list of every rep
    owners = [] if mine or owner is None else [(owner, "")]
    kwargs = TableFilterForm(query, owners=owners).selector_kwargs()
    filters = {k: v for k, v in kwargs.items() if k not in ("sort", "page")}
    if mine and rep is not None:
        filters["owner_id"] = rep.pk
    return export.accounts_export(snapshot, filters=filters, mine=mine)


def is_large(snapshot: Snapshot) -> bool:
    return snapshot.account_count > int(settings.EXPORT_SYNC_ACCOUNTS)


def _counted(rows: Iterable[Sequence[Any]], total: int, report: Report) -> Iterator[Sequence[Any]]:
    for done, row in enumerate(rows, 1):
        if done % 20_000 == 0:
            report(min(95, 5 + int(90 * done / max(total, 1))), "rows")
        yield row


def _prune() -> None:
    cutoff = time.time() - EXPORT_KEEP_DAYS * 86_400
    for path in exports_dir().glob("*"):
        with contextlib.suppress(OSError):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()


def run_export(actor: Actor, params: dict[str, Any], report: Report) -> dict[str, Any]:
    report(2, "loading")
    query = QueryDict(str(params.get("query", "")))
    with translation.override(params.get("language") or translation.get_language()):  # the reader's language
        snapshot = snapshot_of(query)
        if snapshot is None:
            raise export.ExportError(gettext("There is nothing to download yet: compute a snapshot first."))
        what = accounts_export_for(actor, query, snapshot, mine=bool(params.get("mine")))
        if what is None:
            raise export.ExportError(gettext("There is nothing to download yet: compute a snapshot first."))
        main = what.sheets[0]
        main.rows = _counted(main.rows, snapshot.account_count, report)
        fmt, encoding = str(params.get("fmt") or "xlsx"), str(params.get("encoding") or "utf-8-sig")
        exports_dir().mkdir(parents=True, exist_ok=True)
        _prune()
        name = export.filename(what, fmt)
        path = exports_dir() / _NAME.format(uid=uuid.uuid4().hex, name=name)
        rows = export.write_file(what, path, fmt=fmt, encoding=encoding)
    return {"file": path.name, "name": name, "rows": rows, "fmt": fmt, "bytes": path.stat().st_size}


def export_path(result: dict[str, Any]) -> Path | None:
    """The file a done export job wrote, while it is kept."""
    name = str(result.get("file") or "")
    if not name or "/" in name or name.startswith("."):
        return None
    path = exports_dir() / name
    return path if path.is_file() else None


def describe_export(job_id: int, result: dict[str, Any]) -> Outcome:
    text = gettext("%(name)s written: %(rows)s rows, %(mb)s MB.") % {
        "name": result.get("name", ""),
        "rows": f"{result.get('rows', 0):,}",
        "mb": f"{result.get('bytes', 0) / 1e6:.1f}",
    }
    return Outcome(text, reverse("portfolio:export_download", args=[job_id]), gettext("Download"))


register(
    Kind(
        name="export_accounts",
        label=_("Accounts export"),
        right="job_enqueue",
        run=run_export,
        steps={"loading": _("reading the snapshot"), "rows": _("writing rows")},
        describe=describe_export,
    )
)
