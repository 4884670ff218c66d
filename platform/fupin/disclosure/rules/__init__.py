"""Pure rules of disclosure and supervision: no database, no web."""
