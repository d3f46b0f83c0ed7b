"""In-process timings of search at two sizes: a common word, a misspelt word, suggestions.

    .venv/bin/python bench/search_inprocess.py [--sizes 100 10000] [--runs 50]
        [--postgres postgres://.../small postgres://.../big]

Builds (or reuses) SQLite databases of synthetic monographs under
artifacts/bench/, and measures the PostgreSQL databases given (each already
holding its scale data, ``generate_scale_data --drugs N``). For each request
it prints the median (p50) in milliseconds and the ratio of the largest
size's cost to the smallest's, four ways:

* page: the whole request through Django's test client (no server, no page
  cache), rendering included;
* search: the search layer alone (``search.find_drugs`` and its first page,
  as the page and the API call it, or the suggestions), no view, no template;

each "warm" (the ranked keys the process keeps, ``search.ranked_keys``, hold
the query) and "cold" (dropped before every run, so the database ranks anew).
With DATABASE_URL set to PostgreSQL and no --postgres, it measures that database.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scale_data import scale_database  # noqa: E402

REQUESTS = {
    "search (common word)": ("/drugs/", {"q": "nausea"}),
    "misspelt search": ("/drugs/", {"q": "nausae"}),
    "suggestions": ("/search/suggest/", {"q": "synth"}),
    "misspelt suggestions": ("/search/suggest/", {"q": "synthetc"}),
}


def measure(runs: int) -> dict:
    """Run in a child process whose settings point at one database."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["DJANGO_PAGE_CACHE"] = "0"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.test import Client

    from monographs import search
    from monographs.filters import DrugFilter
    from monographs.models import Drug

    def layer(url, params):
        if "suggest" in url:
            return Drug.objects.published().only("title", "slug").suggest(params["q"])
        # The list's one query layer, as the page and the API call it.
        filterset = DrugFilter(params, queryset=Drug.objects.published())
        return list(search.find_drugs(filterset).paginator(50).page(1))

    client = Client()
    figures = {"drugs": Drug.objects.count()}
    for name, (url, params) in REQUESTS.items():
        for _ in range(3):  # warm: connection, vocabulary, caches
            assert client.get(url, params).status_code == 200
        ways = {
            "page": lambda url=url, params=params: client.get(url, params),
            "search": lambda url=url, params=params: layer(url, params),
        }
        for way, run in ways.items():
            for warmth in ("warm", "cold"):
                times = []
                for _ in range(runs):
                    if warmth == "cold":
                        search.forget()
                    start = time.perf_counter()
                    run()
                    times.append((time.perf_counter() - start) * 1000)
                figures[f"{name}, {way} {warmth}"] = statistics.median(times)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 10_000])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--postgres", nargs="*", default=[], metavar="URL")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        for name, p50 in measure(args.runs).items():
            print(f"{name}\t{p50:.2f}")
        return
    urls = {"SQLite": []}
    for size in args.sizes:
        path = scale_database(size)
        urls["SQLite"].append(f"sqlite:///{path}")
    postgres = args.postgres
    if not postgres and os.environ.get("DATABASE_URL", "").startswith("postgres"):
        postgres = [os.environ["DATABASE_URL"]]
    if postgres:
        urls["PostgreSQL"] = postgres
    for database, addresses in urls.items():
        results = []
        for address in addresses:
            out = subprocess.run(
                [sys.executable, __file__, "--child", "--runs", str(args.runs)],
                env={**os.environ, "DATABASE_URL": address},
                check=True,
                stdout=subprocess.PIPE,
                text=True,
            ).stdout
            results.append(dict(line.split("\t") for line in out.strip().splitlines()))
        report(database, results)


def report(database: str, results: list[dict]) -> None:
    sizes = [f"{int(float(r.pop('drugs'))):,}" for r in results]
    print(f"\n{database}, p50 in ms at each size (drugs), and the ratio of the last to the first")
    print("request".ljust(40) + "".join(f"{size:>10}" for size in sizes) + "   ratio")
    for name in results[0]:
        cells = [float(r[name]) for r in results]
        ratio = f"{cells[-1] / cells[0]:.2f}×" if len(cells) > 1 else ""
        print(name.ljust(40) + "".join(f"{c:>10.2f}" for c in cells) + f"   {ratio}")


if __name__ == "__main__":
    main()
