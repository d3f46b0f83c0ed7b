"""Sign-in lockouts with a threshold for each way of counting failures.

django-axes counts failed sign-ins under each of ``AXES_LOCKOUT_PARAMETERS`` but
compares every count with one limit. Here each has its own, from
``LOCKOUT_THRESHOLDS``: an address trying many accounts (credential stuffing) may
fail more often than one account from one address before it is stopped, and an
account guessed at from many addresses is stopped too.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.db.models import Max, Sum
from django.shortcuts import render
from django.utils import timezone


def _key(parameter) -> str:
    return parameter if isinstance(parameter, str) else ",".join(parameter)


class ThresholdHandler(AxesDatabaseHandler):
    def counts(self, request, credentials=None):
        """(failures, threshold, attempts) for each way of counting, within the cool-off."""
        for parameter, attempts in zip(
            settings.AXES_LOCKOUT_PARAMETERS,
            self.get_user_attempts(request, credentials),
            strict=True,
        ):
            failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            yield failures, settings.LOCKOUT_THRESHOLDS[_key(parameter)], attempts

    def get_failures(self, request, credentials=None) -> int:
        # axes locks when this reaches AXES_FAILURE_LIMIT: say so when any count
        # has reached its own threshold, else how far the account and address pair is.
        limit = settings.AXES_FAILURE_LIMIT
        counts = list(self.counts(request, credentials))
        if any(failures >= threshold for failures, threshold, _ in counts):
            return limit
        return min(counts[0][0], limit - 1)

    def reset_user_attempts(self, request, credentials=None) -> int:
        """A successful sign-in clears the failures of that account from that address
        only: an address that also holds one good password must not wipe the count
        of everything else it tried, nor an account's owner that of a guess elsewhere."""
        pair = self.filter_user_attempts(request, credentials)[0]
        count, _ = pair.delete()
        return count

    def lock_lifts_at(self, request, credentials=None):
        """When the lockout ends: the cool-off after the latest failure that counts
        towards a threshold reached (a failure while locked out starts it again)."""
        latest = [
            attempts.aggregate(last=Max("attempt_time"))["last"]
            for failures, threshold, attempts in self.counts(request, credentials)
            if failures >= threshold
        ]
        latest = [time for time in latest if time is not None]
        if not latest:
            return None
        return max(latest) + settings.AXES_COOLOFF_TIME


def locked_out(request, original_response=None, credentials=None):
    """What django-axes answers once sign-in is locked: why, and when to try again."""
    handler = AxesProxyHandler.get_implementation()
    lifts_at = None
    if isinstance(handler, ThresholdHandler):
        lifts_at = handler.lock_lifts_at(request, credentials)
    lifts_at = lifts_at or timezone.now() + settings.AXES_COOLOFF_TIME
    minutes = max(1, round((lifts_at - timezone.now()).total_seconds() / 60))
    context = {
        "lifts_at": lifts_at,
        "minutes": minutes,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "registration/locked_out.html", context, status=429)
