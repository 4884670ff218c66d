"""Templates that render what they mean: a page's title block is plain text on one line.

A title block that swallowed part of the page put a whole form into ``<title>`` (the browser
tab showed raw markup) while the page still looked right — nothing else catches that."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fupin import REPO_ROOT

TEMPLATES = sorted((REPO_ROOT / "templates").rglob("*.html"))
TITLE = re.compile(r"\{% block title %\}(.*?)\{% endblock %\}", re.S)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_a_title_block_is_one_line_of_text(path: Path) -> None:
    for match in TITLE.finditer(path.read_text(encoding="utf-8")):
        title = match.group(1)
        assert "\n" not in title and "<" not in title, title[:120]
