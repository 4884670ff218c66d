"""Domain rules and use cases. Imports models, never web/api (one-way layering)."""
