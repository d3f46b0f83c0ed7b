"""gunicorn settings for the portal: ``gunicorn -c portal/gunicorn.conf.py``.

Environment:
    PORT                 port on 127.0.0.1 (default 8000)
    GUNICORN_BIND        full address instead, e.g. ``0.0.0.0:8000`` or ``unix:/run/portal.sock``
    GUNICORN_WORKERS     worker processes (default 2 × CPU cores + 1, at most 12)
    GUNICORN_TIMEOUT     seconds a silent worker may take before it is restarted (default 30)
"""

import multiprocessing
import os
from pathlib import Path

chdir = str(Path(__file__).resolve().parent.parent)
wsgi_app = "portal.wsgi:application"

bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"

# Sync workers: each answers one request at a time, so more of them than
# cores keeps the CPUs busy while some wait on the database. The cap keeps a
# large machine from starting more processes than the database has connections for.
MAX_WORKERS = 12
workers = int(
    os.environ.get("GUNICORN_WORKERS") or min(2 * multiprocessing.cpu_count() + 1, MAX_WORKERS)
)

timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5

# Access log to stdout, errors to stderr: the process manager keeps them.
accesslog = "-"
errorlog = "-"

# One control socket per user by default; several instances on a machine
# (two sites, a test, the benchmark) would fight over it.
control_socket_disable = True
