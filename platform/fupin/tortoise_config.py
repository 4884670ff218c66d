"""Module-level ORM config for Tortoise's own CLI (``tortoise -c fupin.tortoise_config.TORTOISE_ORM
makemigrations``), used by developers to write migration files. The app never imports it."""

from fupin.db import tortoise_config
from fupin.settings import Settings

TORTOISE_ORM = tortoise_config(Settings.from_env())
