"""The team page says plainly when an axis could not be cut at its shares the plain way (ties, all equal)."""

from __future__ import annotations

import pytest

from tests.portfolio.pages_demo import Demo, demo_client

pytestmark = pytest.mark.django_db


def test_the_team_page_names_each_axis_whose_ties_were_broken(demo: Demo) -> None:
    bands = demo.after.notes["bands"]
    assert set(bands) == {"price", "probability"}
    unusual = {axis: n for axis, n in bands.items() if n["code"] != "ok"}
    assert unusual, bands  # the small demo has ties on an axis; without them this test would prove nothing
    html = demo_client("manager").get(f"/portfolio/?snapshot={demo.after.pk}").content.decode()
    for note in unusual.values():
        assert f'data-testid="band-note-{note["code"]}"' in html
        assert f"{note['tied']} accounts placed by the tie-break" in html
    for shares in (n["shares"] for n in bands.values()):
        assert all(abs(v - 1 / 3) < 0.05 for v in shares.values()), shares
