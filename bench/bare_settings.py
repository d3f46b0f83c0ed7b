"""The portal's settings with one bare view as the whole site: the yardstick for page costs.

Same middleware, database and cache as the portal; only the URLs differ.
"""

from portal.settings import *  # noqa: F403
from portal.settings import BASE_DIR, TEMPLATES

ROOT_URLCONF = "bench.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]
