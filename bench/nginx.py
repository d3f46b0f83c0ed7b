"""nginx as a child process, caching pages the way deploy/nginx.conf does.

The proxy's directives are read from deploy/nginx.conf itself (its
``proxy_cache_path`` and its ``location /`` block but ``proxy_pass``), so what
``make bench`` measures and what ``tests/test_proxy.py`` checks is the
configuration the README recommends, not a copy of it. Everything nginx
writes stays in the folder given.
"""

import os
import re
import subprocess
from contextlib import contextmanager
from pathlib import Path

from bench.listening import wait_until_listening

ROOT = Path(__file__).resolve().parent.parent
DEPLOYED = ROOT / "deploy" / "nginx.conf"
NGINX = "/usr/sbin/nginx"


def page_cache_directives(conf: str) -> tuple[str, str]:
    """The ``proxy_cache_path`` arguments after the folder, and the ``location /``
    directives but ``proxy_pass``, from the text of an nginx configuration."""
    without_comments = re.sub(r"#[^\n]*", "", conf)
    path = re.search(r"proxy_cache_path\s+\S+\s+([^;]+);", without_comments)
    location = re.search(r"location\s+/\s*\{([^{}]*)\}", without_comments)
    if path is None or location is None:
        raise ValueError("no proxy_cache_path or no `location /` block")
    kept = [
        line.strip()
        for line in location[1].splitlines()
        if line.strip() and not line.strip().startswith("proxy_pass ")
    ]
    return " ".join(path[1].split()), "\n".join(kept)


@contextmanager
def nginx(folder: Path, upstream: str, ports: tuple[int, int], static: Path | None = None):
    """nginx caching ``upstream`` (``host:port``) on ``ports[0]``, and serving the
    files of ``static`` on ``ports[1]``; yields their two base URLs."""
    if not Path(NGINX).exists():
        raise RuntimeError(f"nginx is needed at {NGINX} (apt-get install nginx)")
    cache_path, directives = page_cache_directives(DEPLOYED.read_text())
    proxy_port, static_port = ports
    prefix = folder / "nginx"
    (prefix / "cache").mkdir(parents=True, exist_ok=True)
    static_server = f"server {{ listen 127.0.0.1:{static_port}; root {static or prefix}; }}"
    user = f"user {os.environ.get('USER') or 'root'};" if os.geteuid() == 0 else ""
    conf = prefix / "nginx.conf"
    conf.write_text(f"""
{user}
daemon off;
worker_processes 2;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log error;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    types {{ text/html html; }}
    default_type text/html;
    proxy_cache_path {prefix}/cache {cache_path};
    upstream portal {{ server {upstream}; keepalive 32; }}
    server {{
        listen 127.0.0.1:{proxy_port};
        location / {{
            proxy_pass http://portal;
            {directives}
        }}
    }}
    {static_server}
}}
""")
    process = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until_listening(
            process,
            ports,
            name="nginx",
            seconds=20,
            output=(prefix / "error.log").read_text,
        )
        yield f"http://127.0.0.1:{proxy_port}", f"http://127.0.0.1:{static_port}"
    finally:
        process.terminate()
        process.wait(30)
