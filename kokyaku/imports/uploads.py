"""Uploaded files waiting for review: stored under KOKYAKU_DATA_DIR/uploads/<id>/, never in the session."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext

from kokyaku.users.roles import is_manager

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

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


def _manager_id(actor: AbstractBaseUser | AnonymousUser) -> int:
    """The actor's user id; PermissionDenied unless a manager (or admin) acts."""
    if not is_manager(actor) or actor.pk is None:
        raise PermissionDenied(gettext("Only managers can import data."))
    return int(actor.pk)


def _check_owner(actor: AbstractBaseUser | AnonymousUser, upload: Upload) -> None:
    if _manager_id(actor) != upload.user_id:
        raise PermissionDenied(gettext("This upload is another manager's."))


def upload_store(
    *, actor: AbstractBaseUser | AnonymousUser, file: UploadedFile, kind: str, mapping_name: str, mapping_text: str
) -> Upload:
    """Save an uploaded file and what it is for, as ``actor``'s (a manager's); return its record."""
    user_id = _manager_id(actor)
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


def upload_get(*, actor: AbstractBaseUser | AnonymousUser, upload_id: str) -> Upload | None:
    """Return the upload if it exists and is ``actor``'s, else None (PermissionDenied unless a manager asks)."""
    user_id = _manager_id(actor)
    if not _ID.match(upload_id):
        return None
    meta = uploads_dir() / upload_id / "upload.json"
    if not meta.is_file():
        return None
    upload = Upload(**json.loads(meta.read_text(encoding="utf-8")))
    return upload if upload.user_id == user_id else None


def upload_set_mapping(
    *, actor: AbstractBaseUser | AnonymousUser, upload: Upload, mapping_text: str, mapping_name: str | None = None
) -> None:
    """Keep the mapping as edited with the upload (and the name it was saved under, if it was)."""
    _check_owner(actor, upload)
    upload.mapping_text = mapping_text
    if mapping_name is not None:  # saved under this name: the page now says it starts from it
        upload.mapping_name = mapping_name
    _save(upload)


def upload_delete(*, actor: AbstractBaseUser | AnonymousUser, upload: Upload) -> None:
    """Remove the upload and its file (after its import)."""
    _check_owner(actor, upload)
    shutil.rmtree(upload.folder, ignore_errors=True)
