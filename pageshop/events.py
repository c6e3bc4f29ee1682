"""Domain events, published inside the transaction of the change that causes them.

Listeners (the Messenger outbox, for one) add rows to the same session, so the event and what it
causes are committed together or not at all (M3).

Order events: "order_placed" (with opt_in_account=FacebookAccount|None, opt_in_user_ref=str|None),
"order_fulfilled", "order_out_for_delivery", "order_delivered".
"""
from collections import defaultdict
from collections.abc import Callable

_listeners: dict[str, list[Callable]] = defaultdict(list)


def subscribe(kind: str, listener: Callable) -> None:
    if listener not in _listeners[kind]:
        _listeners[kind].append(listener)


def publish(kind: str, order, **data) -> None:
    for listener in list(_listeners[kind]):
        listener(order, **data)
