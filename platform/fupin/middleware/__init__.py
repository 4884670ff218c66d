"""The shell's request middleware, outermost first (after Starlette's session cookie), composed
in ``fupin.app``: ``context`` (locale and the acting user), ``limits`` (no request body over its
limit is read), ``csrf`` (no unsafe request without the session's token), ``headers`` (the
security headers of every response)."""
