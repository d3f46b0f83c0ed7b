from monographs.markdown import render


def test_markdown_is_rendered():
    assert render("**bold** and *em*") == "<p><strong>bold</strong> and <em>em</em></p>\n"


def test_raw_html_never_becomes_markup():
    html = render('<script>alert(1)</script><img src=x onerror="alert(1)">')
    assert "<script" not in html
    assert "<img" not in html


def test_dangerous_link_schemes_are_dropped():
    html = render("[click](javascript:alert(1)) [ok](https://example.org/)")
    assert 'href="javascript' not in html
    assert 'href="https://example.org/"' in html


def test_links_are_marked_as_untrusted():
    assert 'rel="noopener noreferrer nofollow"' in render("<https://example.org/>")


def test_empty_text_renders_nothing():
    assert render("") == ""
