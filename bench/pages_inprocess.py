"""In-process cost of each reader page, page cache off, against the bare view.

    .venv/bin/python bench/pages_inprocess.py [--sizes 100 10000] [--runs 100]
        [--profile PAGE] [--top 30]

Production settings as `make bench` sets them (DJANGO_ENV=production, no
debug, the cached template loader), no server: each request goes through
Django's test client, whose own overhead is the same for every page, the
bare view included. Prints the median CPU milliseconds per request (the
process's own time: steadier than the wall clock on a machine shared with
other work; SQLite runs in the process, a PostgreSQL server's time is not
counted) and the ratio bare ÷ page (the share of the bare view's throughput the page would reach).
With ``--profile PAGE`` it prints that page's cProfile instead (cumulative).

Builds (or reuses) SQLite databases of synthetic monographs under
artifacts/bench/; with DATABASE_URL set to PostgreSQL it measures that
database as it is.
"""

import argparse
import cProfile
import os
import pstats
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scale_data import scale_database  # noqa: E402

STATIC_ROOT = ROOT / "artifacts" / "bench" / "static"


def pages(facts: dict) -> dict:
    return {
        "bare": "/bare/",
        "monograph": f"/drugs/{facts['slug']}/",
        "list": "/drugs/",
        "search": "/drugs/?q=nausea",
        "lookup": "/side-effects/?q=nausea",
        "compare": "/compare/?drugs=" + ",".join(facts["compare"]),
        "home": "/",
        "sitemap": "/sitemap-drugs.xml",
    }


def child(args) -> None:
    import django

    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.bare_settings",
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_LOG_LEVEL="ERROR",
        DJANGO_PAGE_CACHE="0",
        DJANGO_STATIC_ROOT=str(STATIC_ROOT),
    )
    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.test import Client

    from monographs.models import Drug

    published = Drug.objects.published().order_by("slug")
    facts = {
        "slug": published[published.count() // 2].slug,
        "compare": list(published.values_list("slug", flat=True)[:3]),
    }
    client = Client()
    urls = pages(facts)
    for url in urls.values():  # warm: connection, templates, once-a-process work
        for _ in range(3):
            assert client.get(url).status_code == 200, url
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.runs):
            client.get(urls[args.profile])
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)
        return
    # Rounds over every page, the lowest median kept: a burst of other work on
    # the machine then spoils one round of a page, not its figure.
    best = {}
    for _ in range(3):
        for name, url in urls.items():
            times = []
            for _ in range(args.runs):
                start = time.process_time()
                client.get(url)
                times.append((time.process_time() - start) * 1000)
            best[name] = min(best.get(name, float("inf")), statistics.median(times))
    for name, ms in best.items():
        print(f"{name}\t{ms:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 10_000])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--profile", help="a page's name: print its profile")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v0"],
        env={**os.environ, "DJANGO_ENV": "production", "DJANGO_SECRET_KEY": "collectstatic",
             "DJANGO_STATIC_ROOT": str(STATIC_ROOT), "DJANGO_ALLOWED_HOSTS": "testserver"},
        check=True,
    )  # fmt: skip
    sizes = args.sizes
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sizes = ["postgresql"]
    for size in sizes:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        if size != "postgresql":
            path = scale_database(size)
            env["DATABASE_URL"] = f"sqlite:///{path}"
        command = [sys.executable, __file__, "--child", "--runs", str(args.runs)]
        if args.profile:
            command += ["--profile", args.profile, "--top", str(args.top)]
        out = subprocess.run(command, env=env, check=True, stdout=subprocess.PIPE, text=True)
        if args.profile:
            print(out.stdout)
            continue
        figures = dict(line.split("\t") for line in out.stdout.strip().splitlines())
        bare = float(figures["bare"])
        print(f"{size}: page, ms a request (p50), × bare")
        for name, ms in figures.items():
            print(f"  {name:<10} {float(ms):8.2f} ms  {bare / float(ms):5.2f}×")


if __name__ == "__main__":
    main()
