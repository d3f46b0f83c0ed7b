"""The portal's settings with the bare view beside its own pages (bench/pages_inprocess.py)."""

from portal.settings import *  # noqa: F403
from portal.settings import BASE_DIR, TEMPLATES

ROOT_URLCONF = "bench.pages_urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]
