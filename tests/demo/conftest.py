"""A demo portfolio drawn once per test session: the generator is pure, so tests can share it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pytest

from kokyaku.demo.generator import Array, DemoGenerator, DemoSpec

AS_OF = date(2026, 11, 20)


@dataclass(frozen=True)
class Drawn:
    spec: DemoSpec
    reps: dict[str, Array]
    accounts: dict[str, Array]
    deals: dict[str, Array]
    activities: dict[str, Array]
    targets: dict[str, Array]
    key_persons: dict[str, Array]
    objections: dict[str, Array]
    products: dict[str, Array]


def draw(spec: DemoSpec) -> Drawn:
    """Draw every chunk and join them into one set of columns."""
    gen = DemoGenerator(spec)
    chunks = list(gen.chunks())

    def join(part: str) -> dict[str, Array]:
        tables = [getattr(c, part) for c in chunks]
        return {k: np.concatenate([t[k] for t in tables]) for k in tables[0]}

    return Drawn(
        spec,
        gen.reps(),
        join("accounts"),
        join("deals"),
        join("activities"),
        gen.targets(),
        join("key_persons"),
        join("objections"),
        gen.products(),
    )


@pytest.fixture(scope="session")
def drawn() -> Drawn:
    return draw(DemoSpec(accounts=3000, seed=11, as_of=AS_OF, chunk_size=1000))
