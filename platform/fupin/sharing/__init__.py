"""The sharing platform: Atom feeds, daily open-data snapshots and signed webhooks for partner
systems (docs/open-data.md, docs/webhooks.md). Read-only over the other areas' records: it adds
no rule to them and none of them imports it."""
