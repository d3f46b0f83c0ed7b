"""In-process timings of search at two sizes: a common word, a misspelt word, suggestions.

    .venv/bin/python bench/search_inprocess.py [--sizes 100 10000] [--runs 50]

Builds (or reuses) SQLite databases of synthetic monographs under
artifacts/bench/, then times each request through Django's test client (no
server, no page cache) and prints the median (p50) in milliseconds and the
ratio of the largest size's cost to the smallest's. With DATABASE_URL set to
PostgreSQL it measures that database instead, at the one size it holds.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUESTS = {
    "search (common word)": ("/drugs/", {"q": "nausea"}),
    "misspelt search": ("/drugs/", {"q": "nausae"}),
    "suggestions": ("/search/suggest/", {"q": "synth"}),
    "misspelt suggestions": ("/search/suggest/", {"q": "synthetc"}),
}


def build(path: Path, drugs: int) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    subprocess.run(
        [*manage, "generate_scale_data", "--drugs", str(drugs), "-v0"], env=env, check=True
    )


def measure(runs: int) -> dict:
    """Run in a child process whose settings point at one database."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["DJANGO_PAGE_CACHE"] = "0"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.test import Client

    client = Client()
    figures = {}
    for name, (url, params) in REQUESTS.items():
        for _ in range(3):  # warm: connection, vocabulary, caches
            assert client.get(url, params).status_code == 200
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            client.get(url, params)
            times.append((time.perf_counter() - start) * 1000)
        figures[name] = statistics.median(times)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 10_000])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        for name, p50 in measure(args.runs).items():
            print(f"{name}\t{p50:.2f}")
        return
    results = {}
    sizes = args.sizes
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sizes = ["postgresql"]
    for size in sizes:
        env = dict(os.environ)
        if size != "postgresql":
            path = ROOT / "artifacts" / "bench" / f"search-{size}.sqlite3"
            build(path, size)
            env["DATABASE_URL"] = f"sqlite:///{path}"
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--runs", str(args.runs)],
            env=env,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout
        results[size] = dict(line.split("\t") for line in out.strip().splitlines())
    print("request".ljust(24) + "".join(f"{size!s:>12}" for size in results) + "   ratio")
    for name in REQUESTS:
        cells = [float(results[size][name]) for size in results]
        ratio = f"{cells[-1] / cells[0]:.2f}×" if len(cells) > 1 else ""
        print(name.ljust(24) + "".join(f"{c:>9.2f} ms" for c in cells) + f"   {ratio}")


if __name__ == "__main__":
    main()
