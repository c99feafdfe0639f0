"""Where a bulk import's time goes: the phases neo4j-admin reports, read from its output (seed/load.py)."""

from __future__ import annotations

from seed.load import import_phases

OUTPUT = """(1/4) Node import 2026-12-01 21:19:44.600+0000
Node import COMPLETED in 9s 890ms
(2/4) Relationship import 2026-12-01 21:19:54.539+0000
Relationship import COMPLETED in 39s 686ms
Relationship linking COMPLETED in 7s 353ms
Post processing COMPLETED in 1m 5s 110ms
Something else COMPLETED in 12ms
IMPORT DONE in 1m 3s 641ms.
"""


def test_each_completed_phase_in_seconds() -> None:
    assert import_phases(OUTPUT) == {
        "phase: node import": 9.89,
        "phase: relationship import": 39.686,
        "phase: relationship linking": 7.353,
        "phase: post processing": 65.11,
        "phase: something else": 0.012,
    }


def test_no_phase_in_other_output() -> None:
    assert import_phases("IMPORT DONE in 1m 3s 641ms.\nerror: no such file") == {}
