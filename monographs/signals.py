"""The app's own announcement that what its public pages show has changed.

Anything that keeps copies of those pages (the site's page cache, in
``portal``) listens to :data:`content_changed`; the app itself never needs to
know who listens. Saves and deletes of the content models, and of users (pages
name reviewers), announce themselves through the model signals connected here;
changes that send no model signal (``bulk_create``, ``QuerySet.update``, raw
SQL) call :func:`announce_content_change` themselves.
"""

from django.db import DEFAULT_DB_ALIAS
from django.dispatch import Signal

# Sent with ``using``: the database alias whose transaction made the change.
# Receivers act once that transaction commits; they may be sent many
# announcements for one transaction.
content_changed = Signal()


def announce_content_change(using: str = DEFAULT_DB_ALIAS) -> None:
    """Say that what the public pages show changed, in ``using``'s current transaction."""
    content_changed.send(sender=announce_content_change, using=using)


def _on_content_saved_or_deleted(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    announce_content_change(using)


def _on_user_saved(sender, using=DEFAULT_DB_ALIAS, update_fields=None, **kwargs):
    # Pages name reviewers; a sign-in only records its time.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    announce_content_change(using)


def connect_content_hooks() -> None:
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save

    from .models import Drug, Faq, Ingredient, Section, SideEffect

    for model in (Drug, Section, SideEffect, Faq, Ingredient):
        uid = f"content-changed-{model._meta.label_lower}"
        post_save.connect(_on_content_saved_or_deleted, sender=model, dispatch_uid=uid)
        post_delete.connect(_on_content_saved_or_deleted, sender=model, dispatch_uid=uid)
    user = get_user_model()
    post_save.connect(_on_user_saved, sender=user, dispatch_uid="content-changed-user")
    post_delete.connect(
        _on_content_saved_or_deleted, sender=user, dispatch_uid="content-changed-user"
    )
