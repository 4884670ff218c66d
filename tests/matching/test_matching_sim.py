"""Regression test of the matching simulation: on its fixed seed, our ranking stays
ahead of newest-first on the share of needs funded and on the Gini of money across counties.

A small world (600 needs, 150 donors, 45 days) keeps this under a few seconds; the full-size
figures are in docs/matching.md (``bench/matching_sim.py`` with its defaults).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SIM_PATH = Path(__file__).resolve().parents[2] / "bench" / "matching_sim.py"
SMALL = {"seed": 42, "rounds": 45, "donors": 150, "needs": 600}


def load_sim() -> ModuleType:
    """bench/ is not a package: load the script as a module (registered so dataclasses work)."""
    name = "fupin_bench_matching_sim"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SIM_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sim() -> ModuleType:
    return load_sim()


@pytest.fixture(scope="module")
def small_results(sim: ModuleType) -> dict[str, dict[str, float]]:
    return sim.run_simulation(**SMALL, strategies=("ours", "newest_first"))


def test_ours_funds_more_needs_than_newest_first(small_results) -> None:
    ours, newest = small_results["ours"], small_results["newest_first"]
    assert ours["funded_share"] > newest["funded_share"]


def test_ours_spreads_money_across_counties_more_evenly_than_newest_first(small_results) -> None:
    ours, newest = small_results["ours"], small_results["newest_first"]
    assert ours["gini_counties"] < newest["gini_counties"]


def test_ours_sends_less_to_the_famous_places(small_results) -> None:
    assert small_results["ours"]["share_famous"] < small_results["newest_first"]["share_famous"]


def test_ours_still_wins_when_donors_ignore_relevance(sim) -> None:
    # With taste-blind donors a personalised list converts no better than any other; the gain
    # left comes from which needs the ranking puts first (completion and equity terms).
    results = sim.run_simulation(
        **SMALL, strategies=("ours", "newest_first"), behaviour=sim.TASTE_BLIND
    )
    ours, newest = results["ours"], results["newest_first"]
    assert ours["funded_share"] > newest["funded_share"]
    assert ours["gini_counties"] < newest["gini_counties"]


def test_the_equity_terms_are_what_lowers_the_gini(sim, small_results) -> None:
    without = sim.run_simulation(**SMALL, strategies=("ours_without_equity",))
    assert small_results["ours"]["gini_counties"] < without["ours_without_equity"]["gini_counties"]


def test_simulation_is_reproducible_on_its_seed(sim, small_results) -> None:
    assert sim.run_simulation(**SMALL, strategies=("ours", "newest_first")) == small_results


def test_every_strategy_runs_and_reports_every_metric(sim) -> None:
    results = sim.run_simulation(seed=7, rounds=10, donors=30, needs=120)
    assert set(results) == set(sim.STRATEGIES)
    for metrics in results.values():
        assert 0.0 <= metrics["funded_share"] <= 1.0
        assert 0.0 <= metrics["gini_counties"] <= 1.0
        assert 0.0 <= metrics["share_sanqu_sanzhou"] <= metrics["share_832"] <= 1.0


@pytest.mark.parametrize(
    ("values", "expected"),
    [([], 0.0), ([0, 0], 0.0), ([5, 5, 5, 5], 0.0), ([0, 0, 0, 10], 0.75), ([1, 3], 0.25)],
)
def test_gini_of_known_distributions(sim, values, expected) -> None:
    assert sim.gini(values) == pytest.approx(expected)
