"""The Messenger Platform's webhook (M6) at a stable URL, and the checkout's Content-Security-Policy
while the checkbox plugin is on it.

GET: the Platform's subscription check. POST: events, authenticated by their signature (so exempt
from CSRF), kept as received and answered 200 at once; the worker processes them.
"""
from flask import abort, current_app, request

from pageshop.extensions import csrf
from pageshop.messenger import webhook

from . import bp

webhook.register()

# Only the checkout with the checkbox plugin loads Facebook's SDK (connect.facebook.net) and its
# frame (facebook.com); everything else stays on our own origin.
CHECKOUT_CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' https://connect.facebook.net",
    "frame-src https://www.facebook.com https://web.facebook.com https://staticxx.facebook.com",
    "connect-src 'self' https://connect.facebook.net https://www.facebook.com https://graph.facebook.com",
    "img-src 'self' data: https://www.facebook.com https://*.fbcdn.net",
    "style-src 'self' 'unsafe-inline'",
    "form-action 'self'",
    "frame-ancestors 'self'",
    "base-uri 'self'",
])
CHECKOUT_ENDPOINTS = {"storefront.checkout"}


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


@bp.after_app_request
def checkout_content_security_policy(response):
    if (request.endpoint in CHECKOUT_ENDPOINTS
            and current_app.config.get("MESSENGER_TRANSPORT") == "graph"
            and "Content-Security-Policy" not in response.headers):
        response.headers["Content-Security-Policy"] = CHECKOUT_CSP
    return response
