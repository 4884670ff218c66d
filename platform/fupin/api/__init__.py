"""JSON API under /api/v1, one module per resource; every route is in the OpenAPI document."""
