"""Needs for the search benchmarks: the demo's own generated text, on the real region data.

Counties, their prefectures/provinces and contiguous-area tags come from
``poverty_counties.csv`` (the 832 national poverty counties) and townships from ``townships.csv``
(see that folder's README for provenance). Titles, descriptions, items, budgets and
beneficiaries come from the demo's text generator (``fupin.demo.rules.corpus``: place names in
titles, households and kilometres, item lists, varied length), so the benchmarks time the
ranking on text that reads like real needs. Seeded, so every run indexes the same corpus. Output
is the search document shape of ``fupin.search.rules.documents.FIELDS``.

    python bench/search_corpus.py 5     # print five documents
"""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from fupin import REPO_ROOT
from fupin.demo.rules.corpus import demo_documents
from fupin.search.rules.settings_data import default_settings


def data_dir() -> Path:
    """The lead's copy in the repository's data/ when present, else the shared staging folder."""
    repo = REPO_ROOT / "data"
    if (repo / "poverty_counties.csv").exists():
        return repo
    return REPO_ROOT.parent / "shared" / "data"


def load_regions(
    directory: Path | None = None,
) -> tuple[list[dict[str, str]], dict[str, list[str]]]:
    directory = directory or data_dir()
    with (directory / "poverty_counties.csv").open(encoding="utf-8") as fh:
        counties = list(csv.DictReader(fh))
    townships: dict[str, list[str]] = defaultdict(list)
    with (directory / "townships.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            townships[row["county_code"]].append(row["name"])
    return counties, townships


def generate_needs(n: int, seed: int = 42, directory: Path | None = None) -> Iterator[dict]:
    """``n`` search documents with ids 1..n (deterministic for a seed)."""
    counties, townships = load_regions(directory)
    yield from demo_documents(n, counties, townships, default_settings(), seed=seed)


if __name__ == "__main__":
    for doc in generate_needs(int(sys.argv[1]) if len(sys.argv) > 1 else 3):
        print(json.dumps(doc, ensure_ascii=False))
