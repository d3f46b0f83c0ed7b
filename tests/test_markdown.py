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


def test_bare_inline_tags_for_chemistry_are_kept():
    assert render("H<sub>2</sub>O, 10<sup>6</sup>, <i>in vitro</i>") == (
        "<p>H<sub>2</sub>O, 10<sup>6</sup>, <i>in vitro</i></p>\n"
    )


def test_inline_tags_with_attributes_stay_text():
    html = render('<sub onclick="alert(1)">x</sub>')
    assert "<sub" not in html
    assert "onclick" not in html.replace("&lt;sub onclick", "")


def test_html_in_code_stays_code():
    assert render("`<sub>x</sub>`") == "<p><code>&lt;sub&gt;x&lt;/sub&gt;</code></p>\n"
