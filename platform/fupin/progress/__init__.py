"""Progress after funding: updates the county and village post on a need, donors who follow it,
and the notices that bring each update to the inbox of the need's donors, pledgers and
followers (docs/domain.md §3.13)."""
