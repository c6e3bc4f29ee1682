"""The Messenger Platform's webhook (M6) at a stable URL. (The checkout's Content-Security-Policy
for the checkbox plugin is set with every other response's, in pageshop.security.)

GET: the Platform's subscription check. POST: events, authenticated by their signature (so exempt
from CSRF), kept as received and answered 200 at once; the worker processes them.
"""
from flask import abort, current_app, request

from pageshop.extensions import csrf
from pageshop.messenger import webhook

from . import bp


@bp.route("/webhooks/messenger", methods=["GET", "POST"])
@csrf.exempt
def messenger_webhook():
    config = current_app.config
    if request.method == "GET":
        challenge = webhook.challenge_answer(
            request.args.get("hub.mode"), request.args.get("hub.verify_token"),
            request.args.get("hub.challenge"), config.get("MESSENGER_VERIFY_TOKEN"))
        if challenge is None:
            abort(403)
        return challenge, 200, {"Content-Type": "text/plain"}
    body = request.get_data(cache=False)
    if not webhook.signature_valid(body, request.headers.get("X-Hub-Signature-256"),
                                   config.get("MESSENGER_APP_SECRET")):
        abort(403)
    webhook.receive(body)
    return "EVENT_RECEIVED", 200, {"Content-Type": "text/plain"}
