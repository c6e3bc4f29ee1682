"""How gunicorn serves Pageshop (issue 12): `gunicorn -c python:pageshop.serving wsgi:app`.

Every open Messenger, inbox and order page holds a live stream (server-sent events, pageshop.live).
The gthread worker gives each request a thread of a pool; an open stream keeps its thread, which
waits on a condition (no CPU, no database connection) until something is announced. So the pool is
sized for the streams (1,000 per process: the two processes share the open pages unevenly) and
the other requests still find free threads. gthread needs no monkey-patching (gevent's does for
psycopg, SQLAlchemy's pool and the listener threads) and no new dependency; bench/live_connections.py
measures the Shop tab with 1,000 streams open (bench/README.md).
"""
import signal

worker_class = "gthread"
workers = 2  # one per core; -w overrides
threads = 1000  # requests in progress per process, the open streams included
worker_connections = 2000  # connections a process keeps, idle keep-alive ones included


def post_worker_init(worker) -> None:
    """On SIGTERM the open streams end at once: a stopping worker would otherwise wait for each of
    them for `graceful_timeout` (30 s) before it exits."""
    from pageshop import live

    stopping = signal.getsignal(signal.SIGTERM)

    def stop(signum, frame):
        live.close_all()
        if callable(stopping):
            stopping(signum, frame)

    signal.signal(signal.SIGTERM, stop)
