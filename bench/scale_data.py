"""SQLite databases of synthetic monographs for the in-process benchmarks, built once."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def scale_database(drugs: int) -> Path:
    """artifacts/bench/scale-<drugs>.sqlite3, made by generate_scale_data on first use
    and brought up to the current migrations on every use."""
    path = ROOT / "artifacts" / "bench" / f"scale-{drugs}.sqlite3"
    made = path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    if made:
        return path
    subprocess.run(
        [*manage, "generate_scale_data", "--drugs", str(drugs), "-v0"], env=env, check=True
    )
    return path
