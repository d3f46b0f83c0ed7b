"""Pages of listings whose length is known already, or not worth knowing."""

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.utils.functional import cached_property


class CountedPaginator(Paginator):
    """A paginator told its count, where the view has counted already."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.__dict__["count"] = count


class UncountedPage(Page):
    def __init__(self, object_list, number, paginator, *, more: bool):
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self):
        return self.more

    def end_index(self):
        return self.start_index() + len(self.object_list) - 1


class UncountedPaginator(Paginator):
    """Pages through a long listing without counting it.

    Counting a listing reads all of it: for a word in nine monographs in ten
    that grows with the formulary. Each page here reads one row more than it
    shows, to know whether another page follows; the total is only known to
    be more than ``more_than``, which the page says instead.

    ``first_keys`` are the keys of the listing's first rows, in order, where
    the view has read them already; their pages are fetched by key from
    ``by_key``, without the costly condition that found them.
    """

    def __init__(self, object_list, per_page, *, more_than: int, first_keys=(), by_key=None):
        super().__init__(object_list, per_page)
        self.more_than = more_than
        self.first_keys = list(first_keys)
        self.by_key = by_key

    @cached_property
    def count(self):
        return None

    @cached_property
    def num_pages(self):
        return None  # "page=last" has no answer: the view's 404

    def validate_number(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page + 1
        if self.by_key is not None and top <= len(self.first_keys):
            rows = list(self.by_key.filter(pk__in=self.first_keys[bottom:top]))
        else:
            rows = list(self.object_list[bottom:top])
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        return UncountedPage(rows[: self.per_page], number, self, more=len(rows) > self.per_page)
