"""The Messenger Platform's messaging windows (M4, A8).

The standard window is open while the person's last action towards the Page (a message, a menu
choice, a quick reply, the opt-in, a referral) is under 24 hours old, by the Platform's timestamps.
A person's reply from the admin may be sent as a human-agent reply up to 7 days after that action.
"""
from datetime import datetime, timedelta

STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)


def messaging_window_open(last_action_at: datetime | None, now: datetime) -> bool:
    return last_action_at is not None and now - last_action_at < STANDARD_WINDOW


def human_agent_window_open(last_action_at: datetime | None, now: datetime) -> bool:
    return last_action_at is not None and now - last_action_at < HUMAN_AGENT_WINDOW


def window_closes_at(last_action_at: datetime | None) -> datetime | None:
    return last_action_at + STANDARD_WINDOW if last_action_at else None


def human_agent_window_closes_at(last_action_at: datetime | None) -> datetime | None:
    return last_action_at + HUMAN_AGENT_WINDOW if last_action_at else None
