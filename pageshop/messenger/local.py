"""The `local` transport: the conversation of S10 lives in Pageshop's database. The checkout's
opt-in is our own checkbox under the shopper's Facebook account; every send shares the
notification's transaction; everyone can be addressed in every lane."""
from .. import clock
from ..extensions import db
from ..models import Message
from .transport import Outgoing, Transport


class LocalTransport(Transport):
    name = "local"

    def send(self, outgoing: Outgoing) -> Message:
        now = clock.now()
        message = Message(
            conversation=outgoing.conversation,
            direction="out",
            kind=outgoing.kind,
            text=outgoing.text,
            payload=outgoing.payload,
            lane=outgoing.lane,
            author=outgoing.author,
            notification_id=outgoing.notification_id,
            created_at=now,
        )
        outgoing.conversation.last_message_at = now
        db.session.add(message)
        return message
