from django.shortcuts import render
from django.urls import path

from monographs.models import Drug


def bare(request):
    """One query, one small template: what any page of the portal costs at least."""
    drug = Drug.objects.only("title", "slug").order_by("pk").first()
    return render(request, "bench/bare.html", {"drug": drug})


urlpatterns = [path("bare/", bare)]
