"""The limits of a pair's record, shared by the API schemas and the service (pure constants).

Years are calendar years. A pair may start in 1986, when designated assistance began (docs/domain.md §1
history); the dashboards read the platform's own records, which start in 2010. The texts of a
pair (a note, the reason for a change) and of a pair-year report are bounded.
"""

from __future__ import annotations

#: Earliest year a pair may start: designated assistance began in 1986 (docs/domain.md §1 history).
FIRST_PAIR_YEAR = 1986
#: Latest year anything may name.
LAST_YEAR = 2100
#: Earliest year a dashboard or a pair-year of the API may name.
FIRST_DASHBOARD_YEAR = 2010
#: A pair's batch label ("2021-").
PERIOD_MAX = 16
#: A pair's note, the reason for ending or re-drawing it.
NOTE_MAX = 2000
#: The summary and note of a pair-year's self-assessment report.
REPORT_TEXT_MAX = 20000
#: The pair levels a pair may help (docs/domain.md §3.3: a province, a prefecture or a county).
HELPED_LEVELS = ("province", "prefecture", "county")
