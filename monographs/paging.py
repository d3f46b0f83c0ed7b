"""Pages of listings whose length is known already."""

from django.core.paginator import Paginator


class CountedPaginator(Paginator):
    """A paginator told its count, where the view has counted already."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.__dict__["count"] = count
