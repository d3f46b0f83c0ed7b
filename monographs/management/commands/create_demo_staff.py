import secrets
from base64 import b32encode

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management.base import BaseCommand
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Create a staff account for trying the portal locally, once, and print its "
        "random password and the secret of its authenticator app (TOTP). Never use it "
        "on a shared server."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")

    def handle(self, *args, username, **options):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            self.stdout.write(
                f"Demo staff account “{username}” already exists; its password and "
                "authenticator secret were printed when it was created (reset them with: "
                f"manage.py changepassword {username}; manage.py reset_second_factor "
                f"{username})."
            )
            return
        password = secrets.token_urlsafe(15)
        user = User(username=username, email="", is_staff=True, is_superuser=True)
        # The same rules as every other account (length, common passwords, ...).
        validate_password(password, user)
        user.set_password(password)
        user.save()
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
        secret = b32encode(device.bin_key).decode()
        self.stdout.write(
            self.style.SUCCESS(
                f"Created demo staff account — username: {username}  password: {password}"
            )
        )
        self.stdout.write(
            "Its second factor: add this secret to an authenticator app (or scan the "
            f"link as a QR code):\n  secret: {secret}\n  {device.config_url}\n"
            "Shown once: it is not printed again."
        )
