"""The shell's request middleware, composed in ``fupin.app``, outermost first: ``observe``
(request id, metrics, access log: it must see every answer, errors included), ``headers``
(the security headers of every response), Starlette's session cookie, ``context`` (locale and
the acting user), ``limits`` (no request body over its limit is read), ``csrf`` (no unsafe
request without the session's token)."""
