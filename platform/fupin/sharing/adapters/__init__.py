"""Outside systems the sharing platform talks to: partner endpoints over HTTP (httpx) and the
resolver that decides where an address points."""
