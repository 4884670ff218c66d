"""Loaders for reference data, demo data and bulk imports."""
