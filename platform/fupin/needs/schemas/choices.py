"""The closed sets of values of a need's fields, as the schemas and the document name them."""

from __future__ import annotations

from typing import Literal

from fupin.core.categories import CATEGORY_CODES
from fupin.needs.rules import (
    ATTACHMENT_PURPOSES,
    ATTACHMENT_TYPES,
    LIST_SORTS,
    SORTS,
    STATES,
    USER_ACTIONS,
)

CategoryCode = Literal[CATEGORY_CODES]  # the tuple spreads: Literal["drinking_water", …]
State = Literal[STATES]
Action = Literal[USER_ACTIONS]
Purpose = Literal[tuple(ATTACHMENT_PURPOSES)]
ContentType = Literal[ATTACHMENT_TYPES]
Sort = Literal[SORTS]
ListSort = Literal[LIST_SORTS]  # type: ignore[valid-type]  # the tuple spreads at run time
