# Fupin application image: the web app (`fupin serve`), migrations (`fupin migrate`) and the search
# outbox worker (`fupin worker`) all run from it; docker-compose.yml chooses the command.
#
# The whole repository is copied to /app and installed editable (`pip install -e .`): the app finds
# templates/, static/, search/ and data/ relative to the repository root (fupin.REPO_ROOT), which a
# non-editable install would not ship (docs/stack.md §6).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FUPIN_VAR_DIR=/var/lib/fupin

# pg_dump / pg_restore / psql for `fupin backup` and `fupin restore` (Debian 12's client is
# PostgreSQL 15, the major of the compose file's db image).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

# A system user without a shell or a writable home: the code stays owned by root, so a compromised
# process cannot rewrite it; only the data directory (attachments) is writable.
RUN groupadd --system fupin \
    && useradd --system --gid fupin --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin fupin \
    && install -d -o fupin -g fupin -m 0750 /var/lib/fupin

WORKDIR /app

# Dependencies first (this layer is reused while only the code changes): a stub package lets pip
# resolve pyproject.toml without the sources.
COPY pyproject.toml ./
RUN mkdir -p platform/fupin && touch platform/fupin/__init__.py \
    && pip install -e . \
    && rm -rf platform

COPY . .
# The English catalogue is compiled here (only the .po file is kept in git); the assertion fails
# the build if the repository-root folders the app needs were left out of the build context.
RUN pip install --no-deps -e . \
    && fupin i18n compile \
    && python -c "import fupin; assert (fupin.REPO_ROOT / 'templates').is_dir()"

USER fupin
EXPOSE 8000
VOLUME ["/var/lib/fupin"]

# Two web processes (uvicorn workers sharing the port; PostgreSQL only): one process keeps one
# core busy. More or fewer: override the command (docs/deploy.md, "Connections, processes").
CMD ["fupin", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
