"""Configuration read from the environment; nothing secret is written here."""
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# The Graph API version Pageshop is built and tested against (v26.0: July 2026).
DEFAULT_GRAPH_URL = "https://graph.facebook.com/v26.0"

class Config:
    # Required in production; see pageshop.security.require_secret_key for when it may be left out.
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # default set in create_app (instance/)
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    MAX_IMAGE_BYTES = 5 * 1024 * 1024

    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))
    FACEBOOK_MAIL_SENDER = os.environ.get("FACEBOOK_MAIL_SENDER", "notification@facebookmail.example")

    # Absolute base URL for links in Messenger messages and e-mails sent by the worker.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:" + os.environ.get("PORT", "5000"))

    MESSENGER_TRANSPORT = os.environ.get("MESSENGER_TRANSPORT", "local")
    GRAPH_URL = os.environ.get("GRAPH_URL", DEFAULT_GRAPH_URL)
    GRAPH_TIMEOUT = float(os.environ.get("GRAPH_TIMEOUT", "10"))
    MESSENGER_PAGE_ID = os.environ.get("MESSENGER_PAGE_ID")
    MESSENGER_PAGE_ACCESS_TOKEN = os.environ.get("MESSENGER_PAGE_ACCESS_TOKEN")
    MESSENGER_APP_ID = os.environ.get("MESSENGER_APP_ID")
    MESSENGER_APP_SECRET = os.environ.get("MESSENGER_APP_SECRET")
    MESSENGER_VERIFY_TOKEN = os.environ.get("MESSENGER_VERIFY_TOKEN")
    # How long an order's updates wait for the Platform to confirm a checkbox opt-in (its
    # messaging_optins webhook) before they are skipped: an unconfirmed user_ref can't be messaged.
    MESSENGER_OPTIN_WAIT_SECONDS = float(os.environ.get("MESSENGER_OPTIN_WAIT_SECONDS", "600"))
    # The approved utility-message templates sent outside the 24-hour window, one per order update,
    # and their language.
    MESSENGER_UTILITY_TEMPLATE_ORDER_CONFIRMATION = os.environ.get(
        "MESSENGER_UTILITY_TEMPLATE_ORDER_CONFIRMATION", "pageshop_order_confirmation")
    MESSENGER_UTILITY_TEMPLATE_SHIPPING_UPDATE = os.environ.get(
        "MESSENGER_UTILITY_TEMPLATE_SHIPPING_UPDATE", "pageshop_shipping_update")
    MESSENGER_UTILITY_TEMPLATE_OUT_FOR_DELIVERY = os.environ.get(
        "MESSENGER_UTILITY_TEMPLATE_OUT_FOR_DELIVERY", "pageshop_out_for_delivery")
    MESSENGER_UTILITY_TEMPLATE_DELIVERED = os.environ.get(
        "MESSENGER_UTILITY_TEMPLATE_DELIVERED", "pageshop_delivered")
    MESSENGER_UTILITY_TEMPLATE_LANGUAGE = os.environ.get("MESSENGER_UTILITY_TEMPLATE_LANGUAGE", "en_US")
    # How long an order update keeps being retried through the Platform's failures before it is
    # marked failed (a duration, not a count of tries); "Retry" starts it again.
    MESSENGER_RETRY_BUDGET_SECONDS = float(os.environ.get("MESSENGER_RETRY_BUDGET_SECONDS", "86400"))
    # A send whose outcome is unknown (no answer in time, connection lost, worker killed) waits this
    # long for the Platform's echo of it before it is sent again, once.
    MESSENGER_ECHO_WAIT_SECONDS = float(os.environ.get("MESSENGER_ECHO_WAIT_SECONDS", "120"))
    # A shopper's name and picture from the User Profile API are asked again after this long.
    MESSENGER_PROFILE_MAX_AGE_SECONDS = float(os.environ.get("MESSENGER_PROFILE_MAX_AGE_SECONDS", "86400"))

    # Outbox delivery: poll interval of `flask worker`, how long a worker's claim on a row lasts
    # (a dead worker's rows are taken over after it), and the backoff between tries (per message,
    # and between the probes while the Messenger Platform is not answering).
    WORKER_POLL_SECONDS = float(os.environ.get("WORKER_POLL_SECONDS", "0.25"))
    OUTBOX_CLAIM_SECONDS = float(os.environ.get("OUTBOX_CLAIM_SECONDS", "60"))
    OUTBOX_BACKOFF_BASE_SECONDS = float(os.environ.get("OUTBOX_BACKOFF_BASE_SECONDS", "2"))
    OUTBOX_BACKOFF_CAP_SECONDS = float(os.environ.get("OUTBOX_BACKOFF_CAP_SECONDS", "300"))

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_TRANSLATION_DIRECTORIES = os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "translations")
    LANGUAGES = ["en"]

    # --- security (issue 10): all on by default; a deployment sets SECRET_KEY, PUBLIC_URL, and
    # REDIS_URL and TRUSTED_PROXIES where they apply. -----------------------------------------
    # The demo's own switch: without SECRET_KEY only the demo (`make run`), debug or tests start.
    DEMO = _bool("PAGESHOP_DEMO")
    # How many proxies in front set X-Forwarded-For/-Proto/-Host (0: the headers are ignored).
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
    # Sign-in throttling: shared by every process through Redis when set, else each process counts.
    REDIS_URL = os.environ.get("REDIS_URL")
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "pageshop")
    # Failed sign-ins allowed per account and per client address, in growing windows.
    SIGN_IN_LIMITS = os.environ.get("SIGN_IN_LIMITS", "5 per minute; 20 per hour; 100 per day")
    # The admin's session ends after this long unused, and this long after signing in at most.
    ADMIN_IDLE_HOURS = float(os.environ.get("ADMIN_IDLE_HOURS", "12"))
    ADMIN_MAX_SESSION_DAYS = float(os.environ.get("ADMIN_MAX_SESSION_DAYS", "30"))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Uploads larger than this many pixels are refused before they are decoded.
    MAX_IMAGE_PIXELS = _int("MAX_IMAGE_PIXELS", 25_000_000)
