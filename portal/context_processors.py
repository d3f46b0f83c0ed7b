from django.conf import settings


def demo_banner(request) -> dict:
    """Whether pages say that the monographs are an unreviewed demonstration (``make run``)."""
    return {"demo_banner": settings.DEMO_BANNER}
