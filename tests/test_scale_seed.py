"""`flask seed --orders N --conversations N`: generated orders and inbox conversations in bulk, found
by the admin's search and list like any others (issue 12)."""
from sqlalchemy import func, select

from pageshop.extensions import db
from pageshop.inbox import list_conversations
from pageshop.models import Conversation, Message, Order, OrderEvent, OrderLine, Store
from pageshop.orders import search_orders
from pageshop.seed import generated_customer_email


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_flask_seed_orders_and_conversations(app, runner):
    result = runner.invoke(args=["seed", "--products", "20", "--orders", "30", "--conversations", "12"])
    assert result.exit_code == 0, result.output
    assert "Added 30 generated orders." in result.output
    assert "Added 12 generated conversations." in result.output
    assert count(Order) == 30 and count(OrderEvent) == 30
    assert count(OrderLine) >= 30
    numbers = sorted(db.session.scalars(select(Order.number)))
    assert numbers == list(range(1001, 1031))
    assert db.session.scalars(select(Store)).one().next_order_number == 1031
    orders = db.session.scalars(select(Order)).all()
    assert all(order.total_cents == order.subtotal_cents + order.shipping_cents for order in orders)
    assert all(sum(line.total_cents for line in order.lines) == order.subtotal_cents for order in orders)
    assert {order.fulfillment_status for order in orders} <= {"unfulfilled", "fulfilled",
                                                                "out_for_delivery", "delivered"}
    assert count(Conversation) == 12 and count(Message) >= 12
    assert len(list_conversations().items) == 12

    # Found by the admin's search like any order: by e-mail, by name without its accent.
    email = orders[0].email
    assert email == generated_customer_email(int(email.removeprefix("customer").split("@")[0]))
    found = search_orders(email).items
    assert found and all(order.email == email for order in found)

    again = runner.invoke(args=["seed", "--orders", "5", "--conversations", "3"])
    assert again.exit_code == 0, again.output
    assert count(Order) == 35 and count(Conversation) == 15


def test_generated_customers_are_found_without_their_accents(app, runner):
    assert runner.invoke(args=["seed", "--products", "5", "--orders", "40"]).exit_code == 0
    renees = db.session.scalars(select(Order).where(Order.first_name == "Renée")).all()
    assert renees
    assert {order.id for order in search_orders("renee", per_page=100).items} >= {o.id for o in renees}
