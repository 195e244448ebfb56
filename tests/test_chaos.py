"""A short chaos run against the real server; `python -m tests.chaos` runs longer."""

from __future__ import annotations

import pytest

from tests.chaos import run_chaos
from tests.conftest import ENGINE

pytestmark = pytest.mark.skipif(ENGINE != "sqlite",
                                reason="reads the served SQLite database")


async def test_killed_servers_and_a_flaky_network_lose_and_double_nothing(tmp_path):
    figures = await run_chaos(tmp_path, devices=8, rounds=20, kills=3, seed=7)

    print("\n" + "\n".join(figures.lines()))
    assert figures.kills == 3
    assert figures.mutations > 100
    assert sum(figures.faults.values()) > 50
    assert figures.applied + figures.rejected + figures.lost == figures.mutations
    assert (figures.lost, figures.duplicated, figures.diverged) == (0, 0, 0)
    assert figures.applied > figures.rejected
    # Members may only add to and withdraw open cases; nothing else refuses.
    assert set(figures.rejections) <= {"case_finished", "not_allowed"}
