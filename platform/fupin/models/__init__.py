"""Tortoise models, one module per aggregate. Imported by domain code only (never by handlers)."""

# Every module that defines models; Tortoise and the migration tool read this list.
MODEL_MODULES: list[str] = [
    "fupin.models.regions",
    "fupin.models.participants",
    "fupin.models.accounts",
    "fupin.models.pairs",
    "fupin.models.pair_tracking",
    "fupin.models.audit",
    "fupin.models.needs",
    "fupin.models.search",
    "fupin.models.ledger",
    "fupin.models.money",
    "fupin.models.commendation",
    "fupin.models.matching",
    "fupin.models.rollups",
]
