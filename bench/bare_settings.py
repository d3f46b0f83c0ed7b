"""The portal's settings with one bare view beside its pages: the yardstick for page costs.

Same middleware, database, cache and context processors as the portal; the
bare view's address comes first, and the portal's own addresses stay, since
what every page's frame links to is reversed once a process (portal.context_processors).
"""

from portal.settings import *  # noqa: F403
from portal.settings import BASE_DIR, TEMPLATES

ROOT_URLCONF = "bench.pages_urls"
# A copy: the portal's own settings are left as they are.
TEMPLATES = [
    {**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]},
    *TEMPLATES[1:],
]
