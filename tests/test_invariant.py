"""The invariant of issue 14, on the dev halves of every gold set (real model, real index):
the learned ranker is never below its best single lane, and the answer never below the ranker."""
import pytest
from evals.gold_sets import available_sets
from evals.slices import by_slice, invariant_violations, run_slices

pytestmark = pytest.mark.integration  # the real model, a real Chroma index, the sources folder


def test_fused_beats_every_lane_and_the_answer_keeps_what_it_found_on_every_dev_slice(full_bot):
    sets = available_sets()
    assert len(sets) >= 4, "every style has its gold set"
    dev = by_slice(run_slices(full_bot, sets, split="dev"))["dev"]
    assert invariant_violations(dev) == []
    # and the ranking is useful at all on each style (a floor far below today's figures)
    for name, f in dev.items():
        assert f["fused"]["hit5"] >= 0.8, name
