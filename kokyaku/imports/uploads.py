"""Uploaded files waiting for review: stored under KOKYAKU_DATA_DIR/uploads/<id>/, never in the session."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

_ID = re.compile(r"^[0-9a-f]{32}$")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class Upload:
    id: str
    kind: str
    name: str
    user_id: int
    mapping_name: str
    mapping_text: str
    created: str

    @property
    def folder(self) -> Path:
        return uploads_dir() / self.id

    @property
    def path(self) -> Path:
        return self.folder / ("data" + _suffix(self.name))


def uploads_dir() -> Path:
    return Path(settings.DATA_DIR) / "uploads"


def _suffix(name: str) -> str:
    lowered = name.lower()
    for ext in (".csv.gz", ".xlsx.gz", ".tsv.gz", ".txt.gz", ".csv", ".xlsx", ".tsv", ".txt", ".gz"):
        if lowered.endswith(ext):
            return ext
    return ".csv"


def upload_store(*, file: UploadedFile, kind: str, user_id: int, mapping_name: str, mapping_text: str) -> Upload:
    """Save an uploaded file and what it is for; return its record."""
    upload = Upload(
        id=uuid.uuid4().hex,
        kind=kind,
        name=_SAFE.sub("_", Path(file.name or "upload.csv").name)[:120] or "upload.csv",
        user_id=user_id,
        mapping_name=mapping_name,
        mapping_text=mapping_text,
        created=timezone.now().isoformat(),
    )
    upload.folder.mkdir(parents=True, exist_ok=True)
    with upload.path.open("wb") as out:
        for chunk in file.chunks():
            out.write(chunk)
    _save(upload)
    return upload


def _save(upload: Upload) -> None:
    (upload.folder / "upload.json").write_text(json.dumps(asdict(upload), ensure_ascii=False), encoding="utf-8")


def upload_get(*, upload_id: str, user_id: int) -> Upload | None:
    """Return the upload if it exists and belongs to this user, else None."""
    if not _ID.match(upload_id):
        return None
    meta = uploads_dir() / upload_id / "upload.json"
    if not meta.is_file():
        return None
    upload = Upload(**json.loads(meta.read_text(encoding="utf-8")))
    return upload if upload.user_id == user_id else None


def upload_set_mapping(*, upload: Upload, mapping_text: str, mapping_name: str | None = None) -> None:
    upload.mapping_text = mapping_text
    if mapping_name is not None:  # saved under this name: the page now says it starts from it
        upload.mapping_name = mapping_name
    _save(upload)


def upload_delete(*, upload: Upload) -> None:
    shutil.rmtree(upload.folder, ignore_errors=True)
