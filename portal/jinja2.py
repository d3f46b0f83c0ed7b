"""Jinja2 for the reader pages (the monograph, home, list and search, lookup, compare).

Django's template engine interprets each node of a template on every request;
Jinja2 compiles a template to Python once a process, so a loop over fifty rows
costs little (the figures: docs/PERFORMANCE.md). The templates live in
``templates/jinja2/`` and are rendered through Django's own backend; their
helpers are the same functions the Django templates use.
"""

import functools

import jinja2
from django.template.backends import jinja2 as django_jinja2
from django.template.defaultfilters import date, pluralize, urlencode
from django.templatetags.static import static
from django.test.signals import template_rendered

from monographs import links


def querystring(request, **changes) -> str:
    """The current query string with ``changes``, as Django's ``{% querystring %}`` writes it."""
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    if not params and not request.GET:
        return ""
    return "?" + params.urlencode()


def environment(**options) -> jinja2.Environment:
    env = jinja2.Environment(**options)
    env.globals.update(
        # The manifest's names do not change while a process runs.
        static=functools.cache(static),
        link=links.page,
        querystring=querystring,
    )
    env.filters.update(date=date, pluralize=pluralize, urlencode=urlencode)
    return env


class Template(django_jinja2.Template):
    def render(self, context=None, request=None):
        context = {} if context is None else context
        # What Django's test runner records for its own templates (response.context);
        # a signal without receivers, as outside tests, costs one check.
        template_rendered.send(sender=self, template=self, context=context)
        return super().render(context, request)


class Jinja2(django_jinja2.Jinja2):
    def get_template(self, template_name):
        return Template(super().get_template(template_name).template, self)
