"""Django's createsuperuser, held to the password rules every other way is held to.

Django checks the password when it asks for it, but lets the operator bypass the
check, and does not check ``DJANGO_SUPERUSER_PASSWORD`` at all with ``--noinput``.
"""

import os

from django.contrib.auth.management.commands import createsuperuser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError


def _input_without_bypass(prompt: str) -> str:
    if prompt.startswith("Bypass password validation"):
        return "n"  # the rules hold for every account; ask for another password
    return input(prompt)


class Command(createsuperuser.Command):
    def handle(self, *args, **options):
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if not options["interactive"] and password:
            username = options.get(self.UserModel.USERNAME_FIELD) or os.environ.get(
                "DJANGO_SUPERUSER_" + self.UserModel.USERNAME_FIELD.upper()
            )
            try:
                validate_password(password, self.UserModel(username=username))
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
        # The command asks through the builtin input(); a module global of that name
        # is found first, for the length of this command only.
        createsuperuser.input = _input_without_bypass
        try:
            return super().handle(*args, **options)
        finally:
            del createsuperuser.input
