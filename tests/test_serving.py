"""The portal as production runs it: gunicorn with the checked-in config, WhiteNoise."""

import re

from tests.conftest import SEED
from tests.servers import Gunicorn, manage, production_env


def test_gunicorn_serves_a_monograph_and_hashed_compressed_static_files(tmp_path, collected_static):
    env = production_env(f"sqlite:///{tmp_path / 'portal.sqlite3'}", collected_static)
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "import_monographs", str(SEED), "--verbosity", "0")

    # One worker: the local-memory page cache is per process.
    with Gunicorn(env, tmp_path / "gunicorn.log", workers=1) as server:
        browser = server.client()
        page = browser.get("/drugs/isotretinoin-systemic/")
        assert page.status == 200, page.text
        assert "<h1>Isotretinoin (Systemic)</h1>" in page.text
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["X-Page-Cache"] == "miss"
        again = browser.get("/drugs/isotretinoin-systemic/")
        assert again.headers["X-Page-Cache"] == "hit"
        assert again.body == page.body
        assert again.headers["Content-Security-Policy"] == page.headers["Content-Security-Policy"]

        stylesheet = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', page.text)
        assert stylesheet, "no hashed stylesheet linked"
        css = browser.get(stylesheet[1], headers={"Accept-Encoding": "gzip, br"})
        assert css.status == 200
        assert re.search(r"max-age=\d{6,}", css.headers["Cache-Control"])
        assert css.headers["Content-Encoding"] in ("gzip", "br")
        plain = browser.get(stylesheet[1])
        assert "Content-Encoding" not in plain.headers
        assert len(css.body) < len(plain.body)

    assert (
        '"GET /drugs/isotretinoin-systemic/ HTTP/1.1" 200'
        in (tmp_path / "gunicorn.log").read_text()
    )
