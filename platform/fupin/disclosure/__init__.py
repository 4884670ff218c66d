"""Disclosure and supervision: public notices (公告公示), complaints (举报) with a tracked
outcome, supervision alerts and the docking figures (docs/domain.md §3.10, docs/rules.md §7)."""
