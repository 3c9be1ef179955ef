import logging
import os
import sys

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger("footprint")


class CoreConfig(AppConfig):
    name = "footprint.core"
    label = "core"
    verbose_name = "Footprint core"

    def ready(self) -> None:
        # The embedded mode is a choice, not a silent fallback: say so once at start-up.
        # Announce in server processes only (not in scan/inventory output), once under the autoreloader.
        serving = any(name in " ".join(sys.argv[:2]) for name in ("runserver", "gunicorn", "celery"))
        reloader_parent = "runserver" in sys.argv and os.environ.get("RUN_MAIN") != "true" and "--noreload" not in sys.argv
        if settings.EMBEDDED and not settings.TESTING and serving and not reloader_parent:
            db = settings.DATABASES["default"]["NAME"]
            logger.warning(
                "footprint.embedded_mode database=%s tasks=in-process "
                "(set DATABASE_URL and CELERY_BROKER_URL for PostgreSQL and a real broker)", db
            )
