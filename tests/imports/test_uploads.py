"""Uploads waiting for review: stored for the manager who uploaded them, and only that manager changes them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from kokyaku.imports.uploads import upload_delete, upload_get, upload_set_mapping, upload_store
from kokyaku.users.roles import Role
from kokyaku.users.services import user_create
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_only_the_uploading_manager_finds_changes_or_deletes_an_upload(manager: User, strong_rep: object) -> None:
    other = user_create(username="boss2", password=PASSWORD, role=Role.MANAGER)
    rep = User.objects.get(username="tanaka")
    upload = upload_store(
        actor=manager, file=SimpleUploadedFile("d.csv", b"a,b\n1,2\n"), kind="deals", mapping_name="generic", mapping_text="x"
    )
    assert upload.path.read_bytes() == b"a,b\n1,2\n"
    assert upload_get(actor=other, upload_id=upload.id) is None
    with pytest.raises(PermissionDenied):
        upload_get(actor=rep, upload_id=upload.id)
    with pytest.raises(PermissionDenied):
        upload_store(actor=rep, file=SimpleUploadedFile("d.csv", b"a\n1\n"), kind="deals", mapping_name="g", mapping_text="")
    with pytest.raises(PermissionDenied, match="another manager's"):
        upload_set_mapping(actor=other, upload=upload, mapping_text="changed")
    with pytest.raises(PermissionDenied, match="another manager's"):
        upload_delete(actor=other, upload=upload)
    found = upload_get(actor=manager, upload_id=upload.id)
    assert found is not None
    assert found.mapping_text == "x"
    upload_set_mapping(actor=manager, upload=found, mapping_text="y", mapping_name="mine")
    again = upload_get(actor=manager, upload_id=upload.id)
    assert again is not None
    assert (again.mapping_text, again.mapping_name) == ("y", "mine")
    upload_delete(actor=manager, upload=again)
    assert upload_get(actor=manager, upload_id=upload.id) is None
