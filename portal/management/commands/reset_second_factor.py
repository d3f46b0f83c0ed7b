from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from portal.staff import reset_devices


class Command(BaseCommand):
    help = (
        "Remove a staff account's authenticator app and backup codes, so that its next "
        "sign-in sets up new ones. For a superuser who has lost their own phone and "
        "backup codes; colleagues are reset in the admin (Users → action). Recorded in "
        "the audit log."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reason", default="", help="Kept in the audit log.")

    def handle(self, *args, username, reason, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist as error:
            raise CommandError(f"No account named “{username}”.") from error
        removed = reset_devices(user, reason=reason or "manage.py reset_second_factor")
        self.stdout.write(
            self.style.SUCCESS(
                f"Removed {removed} second-factor device(s) of “{username}”: signing in "
                "with the password now leads to setting up a new authenticator app."
            )
        )
