"""The Messenger sales channel (M1-M6): opt-ins and their order updates, the outbox and its
delivery, the 24-hour window, the merchant's message customizations, the shopper's conversation.

Importing the package registers the event listeners and the worker's jobs: delivering the
notifications and processing the webhook's events.
"""
from . import outbox, subscriptions, webhook

subscriptions.register()
outbox.register()
webhook.register()
