"""`kokyaku createuser --rep`: a login is linked to a rep by the rep's id in the CRM or name, not only Kokyaku's row id.

After `kokyaku import reps` (docs/import.md), nothing a user sees shows Kokyaku's internal rep ids, so
`--rep 10` could only be found by reading the database.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kokyaku.crm.models import Rep, Team

pytestmark = pytest.mark.django_db
PASSWORD = "qaweb-long-pass-1"


@pytest.fixture
def reps() -> dict[str, Rep]:
    team = Team.objects.create(name="Central")
    return {
        "darcel": Rep.objects.create(external_id="Darcel Schlecht", name="Darcel Schlecht", team=team),
        "emp": Rep.objects.create(external_id="E-0042", name="鈴木 花子", team=team),
    }


@pytest.mark.parametrize(("given", "who"), [("Darcel Schlecht", "darcel"), ("E-0042", "emp"), ("鈴木 花子", "emp")])
def test_the_rep_is_found_by_external_id_or_name(reps: dict[str, Rep], given: str, who: str) -> None:
    call_command("createuser", "login1", role="rep", rep=given, password=PASSWORD, stdout=StringIO())
    assert Rep.objects.get(user__username="login1") == reps[who]


def test_the_row_id_still_works(reps: dict[str, Rep]) -> None:
    call_command("createuser", "login2", role="rep", rep=str(reps["emp"].pk), password=PASSWORD, stdout=StringIO())
    assert Rep.objects.get(user__username="login2") == reps["emp"]


def test_an_unknown_rep_is_named_in_the_error(reps: dict[str, Rep]) -> None:
    with pytest.raises(CommandError, match="no rep with the id or name 'Nobody'"):
        call_command("createuser", "login3", role="rep", rep="Nobody", password=PASSWORD)
