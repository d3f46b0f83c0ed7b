"""What a browser would submit for a form on a page, read from the page's HTML.

For tests that talk to a server over HTTP, where no response.context exists.
"""

from html.parser import HTMLParser

SKIPPED_INPUTS = {"submit", "button", "image", "reset", "file"}


class _FormReader(HTMLParser):
    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.in_form = False
        self.done = False
        self.fields: list[list] = []  # [name, value]
        self._textarea = None
        self._select = None  # [name, options, multiple]
        self._option = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and not self.done:
            self.in_form = self.form_id is None or attrs.get("id") == self.form_id
            return
        # A control belongs to the form it names in its form attribute, wherever it is.
        owner = attrs.get("form")
        if not (owner == self.form_id if owner and self.form_id else self.in_form):
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type", "text").lower() not in SKIPPED_INPUTS:
            kind = attrs.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.fields.append([name, attrs.get("value") or "on"])
            else:
                self.fields.append([name, attrs.get("value") or ""])
        elif tag == "textarea" and name:
            self._textarea = [name, ""]
        elif tag == "select" and name:
            self._select = [name, [], "multiple" in attrs]
        elif tag == "option" and self._select is not None:
            self._option = [attrs.get("value"), "selected" in attrs, ""]
            self._select[1].append(self._option)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data
        elif self._option is not None:
            self._option[2] += data

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            self.in_form, self.done = False, True
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            # A browser drops the one newline that follows <textarea>.
            self.fields.append([name, text[1:] if text.startswith("\n") else text])
            self._textarea = None
        elif tag == "option":
            self._option = None
        elif tag == "select" and self._select is not None:
            name, options, multiple = self._select
            chosen = [o for o in options if o[1]] or ([] if multiple else options[:1])
            for value, _, text in chosen:
                self.fields.append([name, text.strip() if value is None else value])
            self._select = None


def form_fields(html: str, form_id: str | None = None) -> dict[str, list[str]]:
    """Each field name with the values a browser would send, inline templates left out."""
    reader = _FormReader(form_id)
    reader.feed(html)
    data: dict[str, list[str]] = {}
    for name, value in reader.fields:
        if "__prefix__" not in name:
            data.setdefault(name, []).append(value)
    return data


def add_inline_form(data: dict[str, list[str]], prefix: str, **values) -> int:
    """Add a form to an admin inline formset, modelled on its first form; its index."""
    index = int(data[f"{prefix}-TOTAL_FORMS"][0])
    model = f"{prefix}-0-"
    for name, value in list(data.items()):
        if name.startswith(model):
            field = name[len(model) :]
            data[f"{prefix}-{index}-{field}"] = [""] if field == "id" else list(value)
    for field, value in values.items():
        data[f"{prefix}-{index}-{field}"] = [str(value)]
    data.pop(f"{prefix}-{index}-DELETE", None)
    data[f"{prefix}-TOTAL_FORMS"] = [str(index + 1)]
    return index
