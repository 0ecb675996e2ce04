"""The scheduled import: the new files of the company's folder, or the file at its URL, each imported as a job.

``KOKYAKU_IMPORT_SOURCE`` names a folder or an http(s):// URL; ``KOKYAKU_IMPORT_KIND`` and
``KOKYAKU_IMPORT_MAPPING`` say what its files hold and how to read them. The ``import_source`` job
(Celery beat each night, or ``kokyaku import-source`` from cron) reads the source and runs one
``import`` job per new file, one after another, each with its line in the import history.

- **New files only.** A file is remembered by name, size and SHA-256 (:class:`SourceFile`), written
  in the import's own transaction: a file read again the next night is passed over, a changed one
  is new. A refused file is remembered too (its job failed with the reason; retry the job by hand,
  or put a corrected file in the folder).
- **Nothing moved.** The folder is only read: each new file is copied under
  ``KOKYAKU_DATA_DIR/sources/`` (hashed as it is copied) and the import reads the copy, which goes
  once imported and stays after a failure, so a retry reads the same bytes. Hidden files, names
  ending ``.part`` / ``.tmp`` / ``.crdownload`` / ``~`` and files changed in the last
  ``KOKYAKU_IMPORT_SETTLE_SECONDS`` (a copy still being written) wait for the next run.
- **A URL** is downloaded with a time limit (``KOKYAKU_IMPORT_TIMEOUT``) and a size cap
  (``KOKYAKU_IMPORT_MAX_MB``); a failure (unreachable, an HTTP error, too slow, too large) fails the
  job with a one-line reason and imports nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext, ngettext

from kokyaku import __version__
from kokyaku.imports.models import SourceFile
from kokyaku.jobs.registry import Actor, JobFailed, Report
from kokyaku.jobs.services import JobBusy, job_run

CHUNK = 1 << 20
WAIT_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".download", "~")
STAGED_KEEP_DAYS = 30  # a copy whose import failed and was never retried


class SourceError(Exception):
    """The source cannot be read (no such folder, URL unreachable, too slow, too large): one line, translated."""

    @property
    def messages(self) -> list[str]:
        return [str(self.args[0])]


class SourceImportFailed(JobFailed):
    """Some file was not imported: the reason names it and its job; the result lists every file."""


@dataclass
class Staged:
    """A file of the source, copied under KOKYAKU_DATA_DIR/sources/ with its size and content hash."""

    name: str
    path: Path
    size: int
    sha256: str


def staged_dir() -> Path:
    return Path(settings.DATA_DIR) / "sources"


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def shown_source(source: str) -> str:
    """The source as pages and logs may show it: a URL without its password and query string."""
    if not is_url(source):
        return source
    parts = urllib.parse.urlsplit(source)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


def _copy(stream: IO[bytes], *, cap: int | None = None, deadline: float | None = None, what: str = "") -> Staged:
    """Copy a stream under staged_dir(), hashing it; refuse past ``cap`` bytes or ``deadline`` (monotonic)."""
    folder = staged_dir()
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".partial-{uuid.uuid4().hex}"
    digest, size = hashlib.sha256(), 0
    try:
        with partial.open("wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if cap is not None and size > cap:
                    raise SourceError(
                        gettext("%(source)s is larger than %(mb)s MB (KOKYAKU_IMPORT_MAX_MB); nothing was imported.")
                        % {"source": what, "mb": cap >> 20}
                    )
                if deadline is not None and time.monotonic() > deadline:
                    too_slow = gettext(
                        "%(source)s took longer than %(seconds)s s to download (KOKYAKU_IMPORT_TIMEOUT); nothing was imported."
                    )
                    raise SourceError(too_slow % {"source": what, "seconds": settings.IMPORT_SOURCE_TIMEOUT})
                digest.update(chunk)
                out.write(chunk)
        sha = digest.hexdigest()
        path = folder / f"{sha[:16]}-{uuid.uuid4().hex[:8]}"  # two new files may hold the same bytes
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return Staged(name="", path=path, size=size, sha256=sha)


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _folder(folder: Path) -> tuple[list[Staged], int, int]:
    """The folder's new files, copied: (staged files, files already imported or refused, files still being written)."""
    if not folder.is_dir():
        raise SourceError(
            gettext("The import source %(source)s is not a folder this process can read (KOKYAKU_IMPORT_SOURCE).")
            % {"source": folder}
        )
    settled = time.time() - settings.IMPORT_SOURCE_SETTLE_SECONDS
    candidates, waiting = [], 0
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name.startswith(".") or path.name.endswith(WAIT_SUFFIXES) or not path.is_file():
            continue
        stat = path.stat()
        if stat.st_mtime > settled:
            waiting += 1
            continue
        candidates.append((path, stat.st_size))
    names = [path.name for path, _size in candidates]
    known: set[tuple[str, int, str]] = set()
    for start in range(0, len(names), 500):  # one query per 500 names, not one per file
        known.update(SourceFile.objects.filter(name__in=names[start : start + 500]).values_list("name", "size", "sha256"))
    sized = {(name, size) for name, size, _sha in known}
    new, seen = [], 0
    for path, size in candidates:
        if (path.name, size) in sized and (path.name, size, _hash(path)) in known:  # hashed only when name and size match
            seen += 1
            continue
        with path.open("rb") as stream:
            staged = _copy(stream)
        staged.name = path.name
        if (staged.name, staged.size, staged.sha256) in known:  # it changed back while we looked
            seen += 1
            continue
        new.append(staged)
    return new, seen, waiting


def _url_name(url: str) -> str:
    name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
    return name[:255] or "download"


def _download(url: str) -> Staged:
    """The file at ``url``, copied under staged_dir() within the time limit and the size cap."""
    shown = shown_source(url)
    timeout = settings.IMPORT_SOURCE_TIMEOUT
    cap = int(settings.IMPORT_SOURCE_MAX_MB) << 20
    request = urllib.request.Request(url, headers={"User-Agent": f"kokyaku/{__version__} (scheduled import)"})  # noqa: S310 - http(s) only (is_url)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the company's own setting, http(s) only
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > cap:
                raise SourceError(
                    gettext("%(source)s is larger than %(mb)s MB (KOKYAKU_IMPORT_MAX_MB); nothing was imported.")
                    % {"source": shown, "mb": cap >> 20}
                )
            staged = _copy(response, cap=cap, deadline=time.monotonic() + timeout, what=shown)
            staged.name = _url_name(response.geturl() or url)
    except urllib.error.HTTPError as exc:
        raise SourceError(
            gettext("%(source)s answered HTTP %(status)s (%(reason)s); nothing was imported.")
            % {"source": shown, "status": exc.code, "reason": exc.reason}
        ) from None
    except TimeoutError:
        raise SourceError(
            gettext("%(source)s did not answer within %(seconds)s s (KOKYAKU_IMPORT_TIMEOUT); nothing was imported.")
            % {"source": shown, "seconds": timeout}
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if isinstance(reason, TimeoutError):
            raise SourceError(
                gettext("%(source)s did not answer within %(seconds)s s (KOKYAKU_IMPORT_TIMEOUT); nothing was imported.")
                % {"source": shown, "seconds": timeout}
            ) from None
        raise SourceError(
            gettext("Cannot fetch %(source)s: %(error)s; nothing was imported.") % {"source": shown, "error": reason}
        ) from None
    if staged.size == 0:
        staged.path.unlink(missing_ok=True)
        raise SourceError(gettext("%(source)s answered with an empty file; nothing was imported.") % {"source": shown})
    return staged


def _prune() -> None:
    """Delete copies left by failed imports that nobody retried for STAGED_KEEP_DAYS."""
    cutoff = time.time() - STAGED_KEEP_DAYS * 86_400
    for path in staged_dir().glob("*"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()


def _mapping_usable(mapping: str, kind: str) -> None:
    """Stop the run, before any file is read or remembered, when the configured mapping cannot be used.

    Otherwise every file of the night would be refused for it and remembered as refused, and passed
    over as already imported once the setting is fixed.
    """
    from kokyaku.imports.errors import ImportFileError
    from kokyaku.imports.i18n import translated
    from kokyaku.imports.services import mapping_for

    try:
        mapping_for(mapping, kind=kind)
    except ImportFileError as exc:
        raise SourceError(f"KOKYAKU_IMPORT_MAPPING: {translated(exc)}") from None


def source_import(actor: Actor, params: dict[str, Any], report: Report) -> dict[str, Any]:
    """The ``import_source`` job: read the configured source, then import each new file as its own ``import`` job."""
    source = str(settings.IMPORT_SOURCE).strip()
    if not source:
        raise SourceError(gettext("No import source is configured: set KOKYAKU_IMPORT_SOURCE to a folder or an http(s) URL."))
    kind, mapping = str(settings.IMPORT_SOURCE_KIND), str(settings.IMPORT_SOURCE_MAPPING)
    _mapping_usable(mapping, kind)
    report(1, "fetching")
    if staged_dir().is_dir():
        _prune()
    result: dict[str, Any] = {"source": shown_source(source), "kind": kind, "mapping": mapping, "files": []}
    if is_url(source):
        staged = _download(source)
        seen = SourceFile.objects.filter(name=staged.name, size=staged.size, sha256=staged.sha256).exists()
        if seen:
            staged.path.unlink(missing_ok=True)
        new, result["unchanged"], result["waiting"] = ([] if seen else [staged]), int(seen), 0
    else:
        new, result["unchanged"], result["waiting"] = _folder(Path(source))
    failed: list[str] = []
    for number, file in enumerate(new):
        report(5 + int(90 * number / len(new)), "importing")
        entry: dict[str, Any] = {"name": file.name, "size": file.size}
        params = {
            "source": "schedule",
            "kind": kind,
            "path": str(file.path),
            "file_name": file.name,
            "mapping": mapping,
            "staged": True,
            "remember": {"source": shown_source(source), "name": file.name, "size": file.size, "sha256": file.sha256},
        }
        try:
            job = job_run(actor=actor, kind="import", params=params)  # who started the run (None: the schedule)
        except JobBusy as exc:  # a manager's import is running: this file and the next ones wait for the next run
            entry.update(state="waiting", error=exc.message)
            result["files"].append(entry)
            failed.append(f"{file.name}: {exc.message}")
            break
        entry.update(job=job.pk, state=job.state, error=job.error)
        result["files"].append(entry)
        SourceFile.objects.filter(name=file.name, size=file.size, sha256=file.sha256).update(job_id=job.pk)
        if job.state != "done":
            failed.append(gettext("%(file)s (job %(job)s): %(error)s") % {"file": file.name, "job": job.pk, "error": job.error})
    result["imported"] = sum(1 for entry in result["files"] if entry.get("state") == "done")
    if failed:
        head = ngettext(
            "%(failed)s of %(count)s new file was not imported:",
            "%(failed)s of %(count)s new files were not imported:",
            len(new),
        ) % {"failed": len(failed), "count": len(new)}
        raise SourceImportFailed(" ".join([head, *failed]), result)
    report(100, "importing")
    return result


def describe_counts(result: dict[str, Any]) -> str:
    """What a done scheduled import did, in one sentence of the reader's language."""
    return ngettext(
        "%(imported)s new file imported from %(source)s; %(unchanged)s already imported; %(waiting)s still being written.",
        "%(imported)s new files imported from %(source)s; %(unchanged)s already imported; %(waiting)s still being written.",
        int(result.get("imported", 0)),
    ) % {
        "imported": result.get("imported", 0),
        "source": result.get("source", ""),
        "unchanged": result.get("unchanged", 0),
        "waiting": result.get("waiting", 0),
    }


def staged_remove(path: Path) -> None:
    """Remove an imported file's copy (only under staged_dir(): a path from a job's parameters is checked)."""
    with contextlib.suppress(OSError, ValueError):
        if path.resolve().parent == staged_dir().resolve():
            path.unlink(missing_ok=True)
