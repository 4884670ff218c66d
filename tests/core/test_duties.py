"""The two-person rule itself (``fupin.core.duties``): two accounts are two people unless they
are the same or one created the other."""

from __future__ import annotations

from fupin.core.duties import Person, independent

OFFICER = Person(10, created_by_id=2)  # created by the provincial office (2)
PUPPET = Person(11, created_by_id=10)  # a village account the officer created
COLLEAGUE_WORKER = Person(12, created_by_id=13)  # created by another officer
OPERATOR_MADE = Person(14, created_by_id=None)


def test_the_same_account_is_not_two_people() -> None:
    assert not independent(OFFICER, OFFICER)


def test_an_account_and_its_creator_are_not_two_people_either_way_round() -> None:
    assert not independent(PUPPET, OFFICER) and not independent(OFFICER, PUPPET)


def test_siblings_and_unrelated_accounts_are_two_people() -> None:
    assert independent(COLLEAGUE_WORKER, OFFICER)
    assert independent(OPERATOR_MADE, OFFICER)
    assert independent(Person(20, created_by_id=2), OFFICER)  # both made by the province
