from django import template

from .. import workflow

register = template.Library()


@register.inclusion_tag("admin/monographs/includes/review_counts.html", takes_context=True)
def review_counts(context):
    """The reviewers' queues, counted, for the admin index."""
    user = context["request"].user
    if not user.has_perm("monographs.view_drug"):
        return {"show": False}
    counts = workflow.queue_counts()
    return {
        "show": True,
        "queues": [
            {"name": name, "label": label, "count": counts[name]}
            for name, label in workflow.QUEUE_LABELS.items()
        ],
    }
