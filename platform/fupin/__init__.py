"""Fupin: the social-participation platform for rural poverty alleviation."""

from pathlib import Path

__version__ = "0.1.0"

#: Repository root: templates/, static/, search/ and data/ live here (docs/domain.md §4.1), outside the
#: package, so the app finds them relative to the source tree (editable install).
REPO_ROOT = Path(__file__).resolve().parents[2]
