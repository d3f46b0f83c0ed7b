"""Make live what Reviewers approved to go live by now: run by cron or a systemd timer."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone

from monographs import workflow
from monographs.signals import change_not_delivered


class Command(BaseCommand):
    help = (
        "Publish every monograph (or approve every working draft) whose approved time to go "
        "live has come. Safe to run often, and twice at once: each is made live once, in a "
        "transaction of its own."
    )

    def handle(self, *args, verbosity, **options):
        now = timezone.now()
        cache_errors: list[str] = []

        def note_undelivered(sender, reason, **kwargs):
            cache_errors.append(reason)

        # A page cache that missed a change says so; passed on to whoever reads cron's mail.
        change_not_delivered.connect(note_undelivered, dispatch_uid=id(self))
        live = cancelled = failed = 0
        try:
            for pk in workflow.due_ids(now):
                try:
                    outcome = workflow.publish_if_due(pk, now)
                except DatabaseError as error:  # left for the next run
                    self.stderr.write(f"Monograph {pk}: not made live this time: {error}")
                    failed += 1
                    continue
                if outcome is None:  # another run has it, or had it
                    continue
                if outcome.live:
                    live += 1
                    self.stdout.write(outcome.message)
                else:
                    cancelled += 1
                    self.stderr.write(outcome.message)
        finally:
            change_not_delivered.disconnect(dispatch_uid=id(self))
        # Quiet when nothing was due, so that cron mails only when something happened.
        if live or cancelled or verbosity >= 2:
            self.stdout.write(
                f"{live} made live, {cancelled} approvals cancelled "
                f"(due by {workflow.local_time(now)})."
            )
        if cache_errors:
            self.stdout.write(
                f"The page cache could not be reached ({cache_errors[0]}): readers may see "
                "the old pages for a while."
            )
        if failed:
            raise CommandError(f"{failed} could not be made live now; the next run tries again.")
