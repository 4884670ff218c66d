"""Notifications: one per-user inbox (in-app), an outbox of e-mail deliveries drained by the
background worker, each user's preferences and the delivery log (docs/operations.md
"Notifications")."""
