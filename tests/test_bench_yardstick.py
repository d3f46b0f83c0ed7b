"""The benchmark's yardstick, the bare view, answers under the settings `make bench`
serves it with: a page frame that names the portal's addresses must find them."""

from django.test import override_settings

from bench import bare_settings


def test_the_bare_view_answers_under_the_bench_settings(db, client):
    with override_settings(
        ROOT_URLCONF=bare_settings.ROOT_URLCONF, TEMPLATES=bare_settings.TEMPLATES
    ):
        response = client.get("/bare/")
        assert response.status_code == 200
        assert client.get("/drugs/").status_code == 200  # the portal's pages beside it
