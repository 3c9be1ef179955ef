import logging
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
        if settings.EMBEDDED and not settings.TESTING and "runserver" in sys.argv:
            db = settings.DATABASES["default"]["NAME"]
            logger.warning(
                "footprint.embedded_mode database=%s tasks=in-process "
                "(set DATABASE_URL and CELERY_BROKER_URL for PostgreSQL and a real broker)", db
            )
