"""Every setting, read from the environment here and nowhere else, each with its type and default;
nothing secret is written here. The README's configuration tables list the same settings."""
import os

# The Graph API version Pageshop is built and tested against (v26.0: July 2026).
DEFAULT_GRAPH_URL = "https://graph.facebook.com/v26.0"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _text(name: str, default: str | None = None) -> str | None:
    """The variable's value; an empty one counts as unset."""
    return os.environ.get(name) or default


def _int(name: str, default: int) -> int:
    return int(_text(name) or default)


def _float(name: str, default: float) -> float:
    return float(_text(name) or default)


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    # --- the app -----------------------------------------------------------------------------
    # Required in production; see pageshop.security.require_secret_key for when it may be left out.
    SECRET_KEY: str | None = _text("SECRET_KEY")
    # The demo's own switch: without SECRET_KEY only the demo (`make run`), debug or tests start.
    DEMO: bool = _bool("PAGESHOP_DEMO")
    # DATABASE_URL; when unset, create_app puts SQLite in instance/.
    SQLALCHEMY_DATABASE_URI: str | None = _text("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Absolute base URL of every link in e-mails and Messenger messages (the worker has no request).
    PUBLIC_URL: str = _text("PUBLIC_URL") or "http://127.0.0.1:" + (_text("PORT") or "5000")
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    MAX_IMAGE_BYTES = 5 * 1024 * 1024
    # Uploads larger than this many pixels are refused before they are decoded.
    MAX_IMAGE_PIXELS: int = _int("MAX_IMAGE_PIXELS", 25_000_000)
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_TRANSLATION_DIRECTORIES = os.path.join(ROOT, "translations")
    # The store's time zone: dates and times are shown in it (an IANA name such as Europe/Berlin).
    BABEL_DEFAULT_TIMEZONE: str = _text("STORE_TIME_ZONE", "UTC")
    # How long the language switch's choice is kept (its cookie).
    LANGUAGE_COOKIE_DAYS: int = _int("LANGUAGE_COOKIE_DAYS", 365)

    # --- e-mail --------------------------------------------------------------------------------
    # Unset: e-mails wait in the e-mail log as "not sent".
    MAIL_SERVER: str | None = _text("MAIL_SERVER")
    MAIL_PORT: int = _int("MAIL_PORT", 25)
    MAIL_USERNAME: str | None = _text("MAIL_USERNAME")
    MAIL_PASSWORD: str | None = _text("MAIL_PASSWORD")
    MAIL_USE_TLS: bool = _bool("MAIL_USE_TLS")
    MAIL_TIMEOUT: float = _float("MAIL_TIMEOUT", 10)
    # The sender of the e-mails Facebook checkout sends (named "Facebook").
    FACEBOOK_MAIL_SENDER: str = _text("FACEBOOK_MAIL_SENDER", "notification@facebookmail.example")

    # --- Messenger -----------------------------------------------------------------------------
    # "local": Messenger played by the app itself; "graph": the real Messenger Platform.
    MESSENGER_TRANSPORT: str = _text("MESSENGER_TRANSPORT", "local")
    GRAPH_URL: str = _text("GRAPH_URL", DEFAULT_GRAPH_URL)
    GRAPH_TIMEOUT: float = _float("GRAPH_TIMEOUT", 10)
    MESSENGER_PAGE_ID: str | None = _text("MESSENGER_PAGE_ID")
    MESSENGER_PAGE_ACCESS_TOKEN: str | None = _text("MESSENGER_PAGE_ACCESS_TOKEN")
    MESSENGER_APP_ID: str | None = _text("MESSENGER_APP_ID")
    MESSENGER_APP_SECRET: str | None = _text("MESSENGER_APP_SECRET")
    MESSENGER_VERIFY_TOKEN: str | None = _text("MESSENGER_VERIFY_TOKEN")
    # How long an order's updates wait for the Platform to confirm a checkbox opt-in (its
    # messaging_optins webhook) before they are skipped: an unconfirmed user_ref can't be messaged.
    MESSENGER_OPTIN_WAIT_SECONDS: float = _float("MESSENGER_OPTIN_WAIT_SECONDS", 600)
    # The approved utility-message templates sent outside the 24-hour window, one per order update,
    # and their language.
    MESSENGER_UTILITY_TEMPLATE_ORDER_CONFIRMATION: str = _text(
        "MESSENGER_UTILITY_TEMPLATE_ORDER_CONFIRMATION", "pageshop_order_confirmation")
    MESSENGER_UTILITY_TEMPLATE_SHIPPING_UPDATE: str = _text(
        "MESSENGER_UTILITY_TEMPLATE_SHIPPING_UPDATE", "pageshop_shipping_update")
    MESSENGER_UTILITY_TEMPLATE_OUT_FOR_DELIVERY: str = _text(
        "MESSENGER_UTILITY_TEMPLATE_OUT_FOR_DELIVERY", "pageshop_out_for_delivery")
    MESSENGER_UTILITY_TEMPLATE_DELIVERED: str = _text(
        "MESSENGER_UTILITY_TEMPLATE_DELIVERED", "pageshop_delivered")
    MESSENGER_UTILITY_TEMPLATE_LANGUAGE: str = _text("MESSENGER_UTILITY_TEMPLATE_LANGUAGE", "en_US")
    # The same four in German, for orders placed in German (a template is approved per language;
    # Meta lets one name hold both, which is the default).
    MESSENGER_UTILITY_TEMPLATE_ORDER_CONFIRMATION_DE: str = _text(
        "MESSENGER_UTILITY_TEMPLATE_ORDER_CONFIRMATION_DE", MESSENGER_UTILITY_TEMPLATE_ORDER_CONFIRMATION)
    MESSENGER_UTILITY_TEMPLATE_SHIPPING_UPDATE_DE: str = _text(
        "MESSENGER_UTILITY_TEMPLATE_SHIPPING_UPDATE_DE", MESSENGER_UTILITY_TEMPLATE_SHIPPING_UPDATE)
    MESSENGER_UTILITY_TEMPLATE_OUT_FOR_DELIVERY_DE: str = _text(
        "MESSENGER_UTILITY_TEMPLATE_OUT_FOR_DELIVERY_DE", MESSENGER_UTILITY_TEMPLATE_OUT_FOR_DELIVERY)
    MESSENGER_UTILITY_TEMPLATE_DELIVERED_DE: str = _text(
        "MESSENGER_UTILITY_TEMPLATE_DELIVERED_DE", MESSENGER_UTILITY_TEMPLATE_DELIVERED)
    MESSENGER_UTILITY_TEMPLATE_LANGUAGE_DE: str = _text("MESSENGER_UTILITY_TEMPLATE_LANGUAGE_DE", "de_DE")
    # How long an order update keeps being retried through the Platform's failures before it is
    # marked failed (a duration, not a count of tries); "Retry" starts it again.
    MESSENGER_RETRY_BUDGET_SECONDS: float = _float("MESSENGER_RETRY_BUDGET_SECONDS", 86400)
    # A send whose outcome is unknown (no answer in time, connection lost, worker killed) waits this
    # long for the Platform's echo of it before it is sent again, once.
    MESSENGER_ECHO_WAIT_SECONDS: float = _float("MESSENGER_ECHO_WAIT_SECONDS", 120)
    # A shopper's name and picture from the User Profile API are asked again after this long.
    MESSENGER_PROFILE_MAX_AGE_SECONDS: float = _float("MESSENGER_PROFILE_MAX_AGE_SECONDS", 86400)

    # --- the outbox and `flask worker` ---------------------------------------------------------
    # `flask worker` is woken when something is queued (pageshop.live); it also looks this often
    # without being woken (the safety poll: retries fall due, a signal was lost). How long a worker's
    # claim on a row lasts (a dead worker's rows are taken over after it), and the backoff between
    # tries (per message, and between the probes while the Messenger Platform is not answering).
    WORKER_POLL_SECONDS: float = _float("WORKER_POLL_SECONDS", 2)
    OUTBOX_CLAIM_SECONDS: float = _float("OUTBOX_CLAIM_SECONDS", 60)
    OUTBOX_BACKOFF_BASE_SECONDS: float = _float("OUTBOX_BACKOFF_BASE_SECONDS", 2)
    OUTBOX_BACKOFF_CAP_SECONDS: float = _float("OUTBOX_BACKOFF_CAP_SECONDS", 300)

    # --- live updates (pageshop.live) ---------------------------------------------------------
    # An open stream sends a comment this often (proxies keep it open; a closed one is noticed), and
    # ends after this long (the browser reconnects and the page catches up); on SQLite, how often a
    # process looks at the signal file that `flask worker` and the web server share.
    LIVE_KEEP_ALIVE_SECONDS: float = _float("LIVE_KEEP_ALIVE_SECONDS", 15)
    LIVE_STREAM_SECONDS: float = _float("LIVE_STREAM_SECONDS", 300)
    LIVE_SIGNAL_FILE_POLL_SECONDS: float = _float("LIVE_SIGNAL_FILE_POLL_SECONDS", 0.05)

    # --- security (issue 10): all on by default; a deployment sets SECRET_KEY, PUBLIC_URL, and
    # REDIS_URL and TRUSTED_PROXIES where they apply. -----------------------------------------
    # How many proxies in front set X-Forwarded-For/-Proto/-Host (0: the headers are ignored).
    TRUSTED_PROXIES: int = _int("TRUSTED_PROXIES", 0)
    # Sign-in throttling: shared by every process through Redis when set, else each process counts.
    REDIS_URL: str | None = _text("REDIS_URL")
    RATELIMIT_KEY_PREFIX: str = _text("RATELIMIT_KEY_PREFIX", "pageshop")
    # Failed sign-ins allowed per account and per client address, in growing windows.
    SIGN_IN_LIMITS: str = _text("SIGN_IN_LIMITS", "5 per minute; 20 per hour; 100 per day")
    # The admin's session ends after this long unused, and this long after signing in at most.
    ADMIN_IDLE_HOURS: float = _float("ADMIN_IDLE_HOURS", 12)
    ADMIN_MAX_SESSION_DAYS: float = _float("ADMIN_MAX_SESSION_DAYS", 30)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"

    # --- speed (issue 12) -------------------------------------------------------------------------
    # Where catalog pages for visitors without a session are kept (pageshop.page_cache): Flask-Caching's
    # "RedisCache" (in REDIS_URL, shared by every process: the default when REDIS_URL is set),
    # "SimpleCache" (each process's memory: the demo's default) or "NullCache" (no cache).
    CACHE_TYPE: str = _text("CACHE_TYPE") or ("RedisCache" if REDIS_URL else "SimpleCache")
    CACHE_REDIS_URL: str | None = REDIS_URL
    CACHE_KEY_PREFIX: str = (RATELIMIT_KEY_PREFIX or "pageshop") + ":"
    # A bound on memory, not on freshness: a change to the catalog retires every page at once.
    CACHE_DEFAULT_TIMEOUT = 24 * 3600
    CACHE_THRESHOLD = 5000  # pages kept per process by SimpleCache
