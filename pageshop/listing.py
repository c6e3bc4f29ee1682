"""One page of a long list, found by its neighbour (keyset pagination), for the Shop tab, the
admin's orders and the inbox (issue 12).

OFFSET makes the database walk past every earlier row and COUNT(*) walks them all, so page 4,000 of
100,000 products costs 4,000 times page 1. Here a page starts after (or ends before) the row a link
names, and an index on the list's order finds it at once: the first, a middle and the last page
cost the same. Totals are counted only up to COUNT_LIMIT.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select, tuple_

from .extensions import db

# Lists count their rows up to here and then say "more than": counting 100,000 rows on every
# request costs more than the page itself.
COUNT_LIMIT = 1000


@dataclass
class ListingPage:
    """The rows of one page, whether there are pages before and after it, and (when counted) how
    many rows the list has, exactly up to `count_limit`."""

    items: list[Any]
    has_previous: bool
    has_next: bool
    total: int | None = None
    count_limit: int = field(default_factory=lambda: COUNT_LIMIT)

    @property
    def more_than_counted(self) -> bool:
        return self.total is not None and self.total > self.count_limit

    @property
    def first_id(self) -> int | None:
        return self.items[0].id if self.items else None

    @property
    def last_id(self) -> int | None:
        return self.items[-1].id if self.items else None


def count_up_to(statement: Select, limit: int | None = None) -> int:
    """How many rows `statement` selects, counting no further than limit + 1 (COUNT_LIMIT + 1)."""
    limit = COUNT_LIMIT if limit is None else limit
    return db.session.scalar(select(func.count()).select_from(statement.limit(limit + 1).subquery()))


def cursor_of(model, row_id: int | None, columns: list) -> tuple | None:
    """The list-order key (`columns`) of the row `row_id` names; None when there is no such row."""
    if not row_id:
        return None
    return db.session.execute(select(*columns).where(model.id == row_id)).first()


def keyset_page(statement: Select, columns: list, per_page: int, *, after: tuple | None = None,
                before: tuple | None = None, last: bool = False,
                descending: bool = False) -> ListingPage:
    """The page of `statement` ordered by `columns` (ascending, or all descending) that follows the
    key `after`, or precedes the key `before`, or is the last one; else the first one."""
    key = tuple_(*columns)
    forward = [column.desc() for column in columns] if descending else list(columns)
    reverse = list(columns) if descending else [column.desc() for column in columns]
    backwards = before is not None or (last and after is None)
    if after is not None:
        statement = statement.where(key < tuple_(*after) if descending else key > tuple_(*after))
    elif before is not None:
        statement = statement.where(key > tuple_(*before) if descending else key < tuple_(*before))
    rows = list(db.session.scalars(
        statement.order_by(*(reverse if backwards else forward)).limit(per_page + 1)))
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
        return ListingPage(rows, has_previous=more, has_next=before is not None)
    return ListingPage(rows, has_previous=after is not None, has_next=more)


def page_of(keyed: list[tuple[Any, int]], per_page: int, *, after: int | None = None,
            before: int | None = None, last: bool = False, descending: bool = False) -> ListingPage:
    """A page of a short list held in memory (a search's newest matches): `keyed` holds each row's
    (sort key, id). The page's items are ids, in order, for the caller to load; a cursor that names
    no row of the list is ignored; `total` is the list's length."""
    ordered = [row_id for _key, row_id in sorted(keyed, reverse=descending)]
    position = {row_id: n for n, row_id in enumerate(ordered)}
    if after in position:
        start = position[after] + 1
    elif before in position:
        start = max(0, position[before] - per_page)
    elif last:
        start = max(0, len(ordered) - per_page)
    else:
        start = 0
    return ListingPage(ordered[start:start + per_page], has_previous=start > 0,
                       has_next=start + per_page < len(ordered), total=len(ordered))
