"""`manage.py demo_user`: the demo's login (demo / demo), created once. Refused outside embedded/debug."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create the demo superuser (demo/demo) for the embedded demo. Refuses to run in production mode."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", default="demo")

    def handle(self, *args, username, password, **options):
        if not (settings.DEBUG or settings.EMBEDDED):
            raise CommandError("demo_user only runs in embedded or debug mode (it creates a known password)")
        users = get_user_model()
        user, created = users.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
        if created:
            user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
        self.stdout.write(f"demo login: {username} / {password}" + ("" if created else " (already there)"))
