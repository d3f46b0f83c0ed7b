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

# Sent with ``using``, the database alias whose transaction made the change,
# and ``drug_ids``: the monographs the change is confined to, or None when it
# may touch any of them (an import, a reviewer renamed, a bulk update).
# Receivers act once that transaction commits; they may be sent many
# announcements for one transaction.
content_changed = Signal()

# Sent by a listener that could not act on an announcement (a page cache that
# does not answer), with ``reason``. Whoever made the change can then tell its
# user that readers may see old pages for a while.
change_not_delivered = Signal()


def announce_content_change(using: str = DEFAULT_DB_ALIAS, drug_ids=None) -> None:
    """Say that what the public pages show changed, in ``using``'s current transaction.

    ``drug_ids``: the primary keys of the only monographs whose own pages
    changed; None (the default) means any page may have changed.
    """
    ids = None if drug_ids is None else frozenset(drug_ids)
    content_changed.send(sender=announce_content_change, using=using, drug_ids=ids)


def shows(response, *, drug_ids, listings: bool = False):
    """Say which monographs a public response shows, so that only their changes retire it.

    Without this, a response counts as showing every monograph (a list, a
    search): any change retires it. ``listings``: it also depends on which
    monographs exist (a comparison naming one not published yet).
    """
    response.shows_drug_ids = frozenset(drug_ids)
    response.shows_listings = listings
    return response


def _drug_id_of(instance):
    from .models import Drug, Ingredient

    if isinstance(instance, Drug):
        return instance.pk
    if isinstance(instance, Ingredient):
        return instance.combination_id
    return instance.drug_id


def _on_content_saved_or_deleted(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
    drug_id = _drug_id_of(instance)
    announce_content_change(using, drug_ids=None if drug_id is None else [drug_id])


def _on_user_changed(sender, using=DEFAULT_DB_ALIAS, **kwargs):
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
    post_delete.connect(_on_user_changed, sender=user, dispatch_uid="content-changed-user")
