from django import template

from .. import links

register = template.Library()


@register.simple_tag
def link(name, slug=None):
    """``{% url name %}`` or ``{% url name slug %}``, reversed once a process (monographs.links)."""
    return links.page(name, slug)
