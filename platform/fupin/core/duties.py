"""Two-person rules (separation of duties, docs/security.md "Separation of duties"). Pure: no
database, no HTTP.

Some acts need two people: the county records a delivery and the village side confirms it was
received. A second signature is worth nothing when the second account is the first person's own
or one that person created (an office creates accounts below its own level and, until the
person has set a password through the link, the creating officer is the only one who could use
it). So two accounts count as two people only when they are different and neither created the
other. Accounts created by the same office are independent of each other: every county officer
of a province was created by the provincial office, and that office is not a party to the act.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    """An account as the two-person rules see it: who it is and who created it."""

    user_id: int
    created_by_id: int | None = None


def independent(first: Person, second: Person) -> bool:
    """True when ``first`` and ``second`` are two people for a two-person rule: not the same
    account, and neither created the other."""
    return (
        first.user_id != second.user_id
        and first.created_by_id != second.user_id
        and second.created_by_id != first.user_id
    )
