"""Pure rules of the sharing platform: Atom documents and conditional requests, webhook
signatures, event filters and backoff, address checks, open-data files and manifests."""
