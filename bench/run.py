"""Page throughput of the portal under gunicorn, measured with wrk; writes docs/PERFORMANCE.md.

Run with ``make bench`` (options: ``make bench BENCH_ARGS="--duration 5"``).

For each data set — the 300-file sample corpus, 100 and 10,000 synthetic
drugs (``manage.py generate_scale_data``) — it builds a throwaway database
(SQLite files; PostgreSQL databases when DATABASE_URL points at PostgreSQL),
then starts three gunicorn servers with production settings and 2 workers:
the bare view (bench/bare_settings.py), the portal, and the portal with
its page cache off. wrk runs on 127.0.0.1 against one at a time, after a
warm-up, each page between two runs of the bare view; the sitemap and the
lookup without a query are timed one request at a time. nginx in front of
the portal is measured against nginx serving a static copy. The cache is
local memory unless REDIS_URL is set.
"""

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.listening import free_port, wait_until_listening  # noqa: E402
from bench.nginx import NGINX, nginx  # noqa: E402

PYTHON = sys.executable
CORPUS = ROOT / "tests" / "data" / "corpus"
SEARCH_WORD = "nausea"  # listed by most monographs
MISSPELT_WORD = "nausae"  # corrected to "nausea" (letters swapped)
SUGGEST_PREFIX = "synth"  # the start of every synthetic title

# Pages whose target is the time one request takes (page cache off).
ONE_AT_A_TIME = {
    "sitemap": "/sitemap-drugs.xml",  # the monographs' sitemap: up to 10,000 addresses
    "lookup_index": "/side-effects/",  # the lookup without a query: a summary kept on write
}

TARGETS = {
    "uncached": 0.5,  # every reader page without the page cache, × bare throughput, at least
    "monograph_cached": 1.5,
    "proxy": 0.8,  # nginx proxy_cache in front, × nginx serving a static copy, at least
    "scaling": 1.5,  # cost at 10,000 ÷ cost at 100, at most
    "sitemap_ms": 50,  # one sitemap of 10,000 addresses built in, at most
    "import": 2.0,  # import time ÷ loaddata time for 1,000 drugs, at most
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- databases -----------------------------------------------------------


def base_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",  # plain HTTP on 127.0.0.1
        DJANGO_LOG_LEVEL="ERROR",
    )
    if env.get("REDIS_URL"):
        env["DJANGO_CACHE_KEY_PREFIX"] = f"bench-{uuid.uuid4().hex[:12]}"
    return env


def manage(env: dict, *args: str, quiet: bool = True) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@contextmanager
def throwaway_database(name: str, folder: Path):
    server = postgres_url()
    if server is None:
        yield f"sqlite:///{folder / (name + '.sqlite3')}"
        return
    import psycopg

    parts = urlsplit(server)
    database = f"bench_{os.getpid()}_{name}"
    admin_url = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))

    def admin(sql):
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(sql)

    admin(f'DROP DATABASE IF EXISTS "{database}"')
    admin(f'CREATE DATABASE "{database}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{database}"))
    finally:
        admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def fill(env: dict, dataset: str) -> None:
    manage(env, "migrate", "--noinput")
    if dataset == "corpus":
        # A few sample files are refusals or deliberately broken: reported, not fatal.
        subprocess.run(
            [PYTHON, "manage.py", "import_monographs", str(CORPUS)],
            cwd=ROOT,
            env=env,
            capture_output=True,
        )
    else:
        manage(env, "generate_scale_data", "--drugs", dataset)


SAMPLE_QUERY = """
import json
from django.db.models import Count
from monographs.models import Drug, SideEffect
published = Drug.objects.published().annotate(n=Count("side_effects")).order_by("n", "slug")
count = published.count()
middle = published[count // 2] if count else None
word = %r
print(json.dumps({
    "drugs": count,
    "slug": middle.slug if middle else None,
    "side_effects": middle.n if middle else 0,
    "search_hits": Drug.objects.published().filter(side_effects__term__icontains=word)
        .distinct().count(),
    # The side effect listed by the most published monographs: the lookup's
    # heaviest page at each size, and a full page of listings at every size.
    "lookup_term": SideEffect.objects.filter(drug__status="published").values("term")
        .annotate(n=Count("drug", distinct=True)).order_by("-n", "term")
        .values_list("term", flat=True).first() or word,
    "compare": list(Drug.objects.published().order_by("slug").values_list("slug", flat=True)[:3]),
}))
"""


def describe(env: dict) -> dict:
    return json.loads(
        manage(env, "shell", "-c", SAMPLE_QUERY % SEARCH_WORD).strip().splitlines()[-1]
    )


# --- servers and wrk -------------------------------------------------------


@contextmanager
def gunicorn(env: dict, log_file: Path, **extra):
    port = free_port()
    server_env = {**env, **extra, "PORT": str(port), "GUNICORN_WORKERS": "2"}
    with log_file.open("wb") as output:
        process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "-c", "portal/gunicorn.conf.py"],
            cwd=ROOT,
            env=server_env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_listening(
                process, [port], name="gunicorn", seconds=60, output=log_file.read_text
            )
            yield f"http://127.0.0.1:{port}"
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def wrk(url: str, args, warm_up: bool = True) -> dict:
    # The page answers 200 before it is measured; a cached page is then stored
    # by each worker (local memory is per process), so ask until one answers "hit".
    for _ in range(6 if warm_up else 1):
        with urlopen(url, timeout=120) as response:
            assert response.status == 200, url
            cache_state = response.headers.get("X-Page-Cache")
            proxy_state = response.headers.get("X-Proxy-Cache")
        if cache_state != "miss" and proxy_state not in ("MISS", "EXPIRED"):
            break
    base = ["wrk", f"-t{args.threads}", f"-c{args.connections}", "--latency"]
    if warm_up:
        subprocess.run([*base, f"-d{args.warmup}s", url], capture_output=True, check=True)
    output = subprocess.run(
        [*base, f"-d{args.duration}s", url], capture_output=True, text=True, check=True
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    result = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        "p50": milliseconds(re.search(r"\s50%\s+(\S+)", output)[1]),
        "p99": milliseconds(re.search(r"\s99%\s+(\S+)", output)[1]),
        "errors": int(errors[1]) if errors else 0,
        "socket_errors": socket_errors[1] if socket_errors else "",
        "cache": cache_state,
        "proxy": proxy_state,
    }
    rps, p50, p99 = result["rps"], result["p50"], result["p99"]
    log(f"    {url}: {rps:.0f} req/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    return result


def one_at_a_time(url: str, times: int = 25) -> dict:
    """Median and slowest wall-clock milliseconds of ``url`` asked ``times`` times
    in a row, each after the last has answered: what one reader waits for a
    page that is built for them (no queueing behind other readers)."""
    for _ in range(3):  # warm: the worker's connection and once-a-process work
        with urlopen(url, timeout=120) as response:
            assert response.status == 200, url
            size = len(response.read())
    waits = []
    for _ in range(times):
        started = time.perf_counter()
        with urlopen(url, timeout=120) as response:
            response.read()
        waits.append((time.perf_counter() - started) * 1000)
    waits.sort()
    result = {"median": waits[len(waits) // 2], "slowest": waits[-1], "bytes": size}
    log(f"    {url}: median {result['median']:.1f} ms, slowest {result['slowest']:.1f} ms")
    return result


def paired(yardstick: str, pages: dict[str, str], args) -> tuple[dict, dict]:
    """Each of ``pages`` measured between two runs of ``yardstick``.

    The machine's pace drifts over minutes (another process, a database just
    written still being flushed): the yardstick measured once before all the
    pages and once after differed by half on a slow day. Run between pages,
    each page is held against the mean of the yardstick just before and just
    after it (its "yardstick" figure), so a ratio compares figures taken
    seconds apart. Returns the pages' figures and the yardstick's, whose "rps"
    is the mean of all its runs, listed in "runs".
    """
    first = wrk(yardstick, args)
    runs, results = [first["rps"]], {}
    for name, url in pages.items():
        results[name] = wrk(url, args)
        runs.append(wrk(yardstick, args, warm_up=False)["rps"])
        results[name]["yardstick"] = (runs[-2] + runs[-1]) / 2
    return results, {**first, "rps": sum(runs) / len(runs), "runs": runs}


def measure(dataset: str, env: dict, folder: Path, args) -> dict:
    facts = describe(env)
    log(f"  {dataset}: {facts}")
    monograph = f"/drugs/{facts['slug']}/"
    pages = {
        "monograph_uncached": monograph,
        "list": "/drugs/",
        "search": f"/drugs/?q={SEARCH_WORD}",
        "misspelt search": f"/drugs/?q={MISSPELT_WORD}",
        "suggestions": f"/search/suggest/?q={SUGGEST_PREFIX}",
        "lookup": f"/side-effects/?q={facts['lookup_term'].replace(' ', '+')}",
        "compare": f"/compare/?drugs={','.join(facts['compare'])}",
        "home": "/",
    }
    results = {"facts": facts}
    with ExitStack() as servers:
        bare = servers.enter_context(
            gunicorn(
                env, folder / f"{dataset}-bare.log", DJANGO_SETTINGS_MODULE="bench.bare_settings"
            )
        )
        cached = servers.enter_context(gunicorn(env, folder / f"{dataset}-cached.log"))
        uncached = servers.enter_context(
            gunicorn(env, folder / f"{dataset}-uncached.log", DJANGO_PAGE_CACHE="0")
        )
        urls = {"monograph_cached": cached + monograph}
        urls.update((name, uncached + path) for name, path in pages.items())
        figures, results["bare"] = paired(bare + "/bare/", urls, args)
        results.update(figures)
        results["one_at_a_time"] = {
            name: one_at_a_time(uncached + path) for name, path in ONE_AT_A_TIME.items()
        }
        if not args.no_proxy:
            static = folder / f"{dataset}-static"
            static.mkdir()
            copies = {"monograph": monograph, "list": "/drugs/"}
            for name, path in copies.items():
                with urlopen(cached + path, timeout=120) as response:
                    (static / f"{name}.html").write_bytes(response.read())
            ports = (free_port(), free_port())
            front = nginx(folder / dataset, urlsplit(cached).netloc, ports, static)
            proxy, plain = servers.enter_context(front)
            for name, path in copies.items():
                # The proxy is held against nginx serving the same page as a file.
                figures, results[f"static_{name}"] = paired(
                    f"{plain}/{name}.html", {f"proxy_{name}": proxy + path}, args
                )
                results.update(figures)
                if results[f"proxy_{name}"]["proxy"] != "HIT":
                    log(f"  warning: nginx did not answer {path} from its cache")
    if results["monograph_cached"]["cache"] != "hit":
        log("  warning: the cached monograph was not answered from the cache")
    return results


# --- import against loaddata -------------------------------------------------


def import_vs_loaddata() -> dict:
    script = ROOT / "bench" / "import_vs_loaddata.py"
    result = subprocess.run(
        [PYTHON, str(script), "--json"], cwd=ROOT, capture_output=True, text=True
    )
    if result.returncode != 0:
        return {"error": (result.stderr or result.stdout).strip()[-500:]}
    try:  # the figures are the JSON document that ends its output
        return json.loads(result.stdout[result.stdout.index("{") :])
    except ValueError:
        return {"error": f"unreadable output: {result.stdout.strip()[-500:]}"}


# --- report ------------------------------------------------------------------


def verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**missed**")


# The report's last section, written by hand: figures behind choices in the
# code, which a run does not measure again and so carries over.
HAND_MEASURED = "## Measured by hand"


def hand_measured(path: Path) -> str:
    """The hand-written section of the report at ``path``, to keep in the next one."""
    text = path.read_text() if path.exists() else ""
    start = text.find(HAND_MEASURED)
    return "" if start < 0 else "\n" + text[start:]


def report(results: dict, imports: dict, args, machine: dict) -> str:
    lines = [
        "# Performance",
        "",
        "Measured by `make bench` (bench/run.py): gunicorn with `portal/gunicorn.conf.py`, 2 sync",
        "workers, production settings; wrk on the same machine "
        f"(`-t{args.threads} -c{args.connections} -d{args.duration}s`, after a {args.warmup} s "
        "warm-up). Each figure is one run: compare ratios, not absolute numbers, between machines.",
        "",
        f"- Date: {machine['date']}",
        f"- Machine: {machine['cores']} CPU cores, {machine['system']}, Python {machine['python']}",
        f"- Database: {machine['database']}; cache: {machine['cache']}",
        "- Bare view: the portal's middleware, one query and a small template (bench/urls.py),",
        "  measured before the first page and again after each page: every page is held against",
        '  the mean of the bare view\'s runs just before and just after it ("held against"),',
        "  so the machine's drift over the minutes of a data set cancels out; the bare view's",
        "  row gives the mean and the range of all its runs (p50 and p99 of the first)",
        "- Uncached: a second portal server with `DJANGO_PAGE_CACHE=0`; list, search and lookup",
        "  are measured there too, so they show what the database does at each size",
        "- nginx (2 workers) with deploy/nginx.conf's proxy-cache directives in front of the",
        "  cached portal, against the same nginx serving a saved copy of the page as a file,",
        "  measured just before and just after it",
        f"- Search: `/drugs/?q={SEARCH_WORD}`; lookup: `/side-effects/?q=…`, the side effect "
        "listed by the most monographs (a full page of 50 at every size)",
        "",
        "| data set | page | req/s | p50 ms | p99 ms | held against (req/s) | ratio |",
        "|---|---|---:|---:|---:|---|---:|",
    ]
    names = {
        "bare": "bare view",
        "monograph_cached": "monograph, cached",
        "monograph_uncached": "monograph, uncached",
        "list": "list `/drugs/`",
        "search": "search",
        "lookup": "side-effect lookup",
        "compare": "compare (3)",
        "home": "home",
        "proxy_monograph": "monograph through nginx proxy_cache",
        "static_monograph": "monograph, static copy by nginx",
        "proxy_list": "list through nginx proxy_cache",
        "static_list": "list, static copy by nginx",
    }
    for dataset, figures in results.items():
        facts = figures["facts"]
        label = f"{dataset_label(dataset)} ({facts['drugs']:,} published)"
        for key, name in names.items():
            if key not in figures:
                continue
            row = figures[key]
            flag = f" ({row['errors']} non-2xx)" if row["errors"] else ""
            if "runs" in row:
                low, high = min(row["runs"]), max(row["runs"])
                flag += f" (mean of {len(row['runs'])} runs, {low:,.0f} to {high:,.0f})"
                against, ratio = "", ""
            else:
                yardstick = "nginx static" if key.startswith("proxy_") else "bare"
                against = f"{yardstick} {row['yardstick']:,.0f}"
                ratio = f"{held(row):.2f}"
            lines.append(
                f"| {label} | {name}{flag} | {row['rps']:,.0f} | {row['p50']:.2f} | "
                f"{row['p99']:.2f} | {against} | {ratio} |"
            )
    lines += [
        "",
        "One request at a time, page cache off (25 in a row after 3 to warm up; wall clock, "
        "the server's and the client's time):",
        "",
        "| data set | page | median ms | slowest ms | size |",
        "|---|---|---:|---:|---:|",
    ]
    timed_names = {
        "sitemap": "monographs' sitemap `/sitemap-drugs.xml`",
        "lookup_index": "side-effect lookup without a query `/side-effects/`",
    }
    for dataset, figures in results.items():
        for key, row in figures["one_at_a_time"].items():
            lines.append(
                f"| {dataset_label(dataset)} | {timed_names[key]} | {row['median']:.1f} | "
                f"{row['slowest']:.1f} | {row['bytes'] / 1000:,.0f} kB |"
            )
    lines += ["", "## Targets", "", "| target | figure | |", "|---|---|---|"]
    uncached = ("monograph_uncached", "list", "search", "lookup", "compare", "home")
    for dataset, figures in results.items():
        for key in uncached:
            ratio = held(figures[key])
            need = TARGETS["uncached"]
            lines.append(
                f"| {dataset_label(dataset)}: {names[key].removesuffix(', uncached')} uncached "
                f"≥ {need}× bare | {ratio:.2f}× | {verdict(ratio >= need)} |"
            )
        ratio = held(figures["monograph_cached"])
        need = TARGETS["monograph_cached"]
        lines.append(
            f"| {dataset_label(dataset)}: monograph cached ≥ {need}× bare | {ratio:.2f}× | "
            f"{verdict(ratio >= need)} |"
        )
        for name in ("monograph", "list"):
            if f"proxy_{name}" not in figures:
                continue
            ratio = held(figures[f"proxy_{name}"])
            need = TARGETS["proxy"]
            lines.append(
                f"| {dataset_label(dataset)}: {name} through nginx ≥ {need}× nginx static | "
                f"{ratio:.2f}× | {verdict(ratio >= need)} |"
            )
    small, large = results.get("100"), results.get("10000")
    for key in ("list", "search", "lookup"):
        if small and large:
            cost = small[key]["rps"] / large[key]["rps"]
            p50 = large[key]["p50"] / small[key]["p50"]
            lines.append(
                f"| {names[key]}: cost at 10,000 ≤ {TARGETS['scaling']}× cost at 100 | "
                f"{cost:.2f}× (by req/s; p50 {p50:.2f}×) | {verdict(cost <= TARGETS['scaling'])} |"
            )
        else:
            lines.append(
                f"| {names[key]}: cost at 10,000 ≤ {TARGETS['scaling']}× cost at 100 | "
                "not measured: needs the 100 and 10,000 data sets (`--datasets`) | — |"
            )
    need = TARGETS["sitemap_ms"]
    for dataset, figures in results.items():
        ms = figures["one_at_a_time"]["sitemap"]["median"]
        lines.append(
            f"| {dataset_label(dataset)}: the sitemap built in ≤ {need} ms | {ms:.1f} ms | "
            f"{verdict(ms <= need)} |"
        )
    name = "side-effect lookup without a query"
    if small and large:
        cost = large["one_at_a_time"]["lookup_index"]["median"]
        cost /= small["one_at_a_time"]["lookup_index"]["median"]
        lines.append(
            f"| {name}: time at 10,000 ≤ {TARGETS['scaling']}× time at 100 | {cost:.2f}× | "
            f"{verdict(cost <= TARGETS['scaling'])} |"
        )
    ratio = imports.get("ratio")  # absent where the script failed: its error is shown below
    figure = f"{ratio:.2f}×" if ratio is not None else "see below"
    ok = None if ratio is None else ratio <= TARGETS["import"]
    lines.append(f"| import of 1,000 ≤ {TARGETS['import']}× loaddata | {figure} | {verdict(ok)} |")
    lines += ["", "`bench/import_vs_loaddata.py --json`:", "", "```json"]
    lines += [json.dumps(imports, indent=2), "```"]
    return "\n".join(lines) + "\n"


def held(row: dict) -> float:
    """A page's req/s over its yardstick's, measured either side of it."""
    return row["rps"] / row["yardstick"]


def dataset_label(dataset: str) -> str:
    return "sample corpus" if dataset == "corpus" else f"{int(dataset):,} synthetic"


def machine_facts() -> dict:
    server = postgres_url()
    if server:
        version = subprocess.run(
            ["psql", server, "-Atc", "show server_version"], capture_output=True, text=True
        ).stdout.strip()
        database = f"PostgreSQL {version}".strip()
    else:
        import sqlite3

        database = f"SQLite {sqlite3.sqlite_version}"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "system": f"{platform.system()} {platform.machine()}",
        "python": platform.python_version(),
        "database": database,
        "cache": "Redis (REDIS_URL)" if os.environ.get("REDIS_URL") else "local memory",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per page (10)")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds per page (2)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--datasets",
        default="corpus,100,10000",
        help="corpus and/or drug counts (corpus,100,10000)",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "PERFORMANCE.md")
    parser.add_argument("--no-proxy", action="store_true", help="skip nginx in front")
    parser.add_argument("--no-import", action="store_true", help="skip the import against loaddata")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (apt-get install wrk)")
    if not args.no_proxy and not Path(NGINX).exists():
        raise SystemExit(f"nginx is needed at {NGINX} (apt-get install nginx), or --no-proxy")

    env = base_env()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        folder = Path(tmp)
        env["DJANGO_STATIC_ROOT"] = str(folder / "static")
        env["DJANGO_PAGE_CACHE_TOKEN_DIR"] = str(folder / "page-tokens")
        manage({**env, "DATABASE_URL": f"sqlite:///{folder / 'unused.sqlite3'}"},
               "collectstatic", "--noinput")  # fmt: skip
        for dataset in args.datasets.split(","):
            with throwaway_database(dataset, folder) as url:
                dataset_env = {**env, "DATABASE_URL": url}
                log(f"- {dataset}: filling the database")
                started = time.monotonic()
                fill(dataset_env, dataset)
                log(f"  filled in {time.monotonic() - started:.0f} s")
                results[dataset] = measure(dataset, dataset_env, folder, args)
    if args.no_import:
        imports = {"skipped": "--no-import"}
    else:
        log("- import against loaddata")
        imports = import_vs_loaddata()
    text = report(results, imports, args, machine_facts()) + hand_measured(args.output)
    args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
