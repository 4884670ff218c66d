"""Schema migrations (Tortoise ORM built-in engine); run with `fupin migrate`."""
