"""What can't be undone asks first (item 7 of issue 11): the form carries data-confirm and the dialog
beside it says what will happen (static/js/confirm.js opens it; the e2e journeys click through it).
Without JavaScript the forms work as before."""
import re
from html import unescape

from pageshop.extensions import db
from pageshop.models import SavedReply, Subscription


def _dialog(html: str, dialog_id: str) -> str:
    start = html.index(f'<dialog id="{dialog_id}"')
    return html[start:html.index("</dialog>", start)]


def test_turn_off_remove_channel_and_delete_saved_reply_ask_first(client, auth, store, make_order):
    from pageshop.models import FacebookAccount

    alex = db.session.scalars(db.select(FacebookAccount).filter_by(email="alex@example.com")).one()
    order = make_order(facebook_account=alex)
    db.session.add(Subscription(order_id=order.id, facebook_account_id=alex.id, page_id=store.messenger_page_id,
                                state="active"))
    db.session.add(SavedReply(title="Returns", body="30 days."))
    db.session.commit()
    saved_id = db.session.scalar(db.select(SavedReply.id))
    auth.sign_in()

    html = unescape(client.get(f"/admin/orders/{order.id}/status").get_data(as_text=True))
    assert f'action="/admin/orders/{order.id}/messenger/turn-off" data-confirm="confirm-turn-off"' in html
    dialog = _dialog(html, "confirm-turn-off")
    assert "Turn off Messenger updates for order #1001?" in dialog
    assert "Alex Rivera won't get any more Messenger updates about this order, not even the ones already queued." in dialog
    assert ">Cancel</button>" in dialog and ">Turn off updates</button>" in dialog

    html = unescape(client.get("/admin/channels").get_data(as_text=True))
    assert 'action="/admin/channels/messenger/remove" data-confirm="confirm-remove-messenger"' in html
    dialog = _dialog(html, "confirm-remove-messenger")
    assert "Remove the Messenger channel from Maple & Thread?" in dialog
    assert "Subscriptions already made still get their updates" in dialog and ">Remove channel</button>" in dialog

    html = unescape(client.get("/admin/saved-replies").get_data(as_text=True))
    assert f'data-confirm="confirm-delete-{saved_id}"' in html
    dialog = _dialog(html, f"confirm-delete-{saved_id}")
    assert "Delete the saved reply “Returns”?" in dialog and "This can't be undone." in dialog

    for page in ("/admin/channels", "/admin/saved-replies", f"/admin/orders/{order.id}/status"):
        # (under its fingerprinted name: pageshop.static_files)
        assert re.search(r'<script src="/static/js/confirm\.[0-9a-f]{12}\.js" defer></script>',
                         client.get(page).get_data(as_text=True))
    # Without JavaScript the form posts as it always did.
    assert client.post_form(f"/admin/saved-replies/{saved_id}/delete").status_code == 303
    assert db.session.scalars(db.select(SavedReply)).all() == []
