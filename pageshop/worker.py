"""The delivery worker: sends what the outboxes hold (Messenger notifications, e-mails).

`flask worker` runs it in production; several may run at once. `make run` and the e2e tests run it
beside the web server. It sleeps until something is queued (the "outbox" topic of pageshop.live,
announced after the commit that queued it), and looks every WORKER_POLL_SECONDS anyway: retries
fall due, and a signal can be lost.
"""
import logging
import threading

from flask import Flask

from . import live

log = logging.getLogger(__name__)

# Each job sends what is due and returns how many it handled. Registered by the modules that own
# an outbox, so the worker needs no knowledge of them.
_jobs: list = []


def register_job(job) -> None:
    if job not in _jobs:
        _jobs.append(job)


def run_once(app: Flask) -> int:
    handled = 0
    with app.app_context():
        from .extensions import db

        for job in list(_jobs):
            try:
                handled += job() or 0
            except Exception:  # one failing job must not stop the others
                log.exception("delivery job %s failed", getattr(job, "__name__", job))
                db.session.rollback()
            finally:
                db.session.remove()
    return handled


def run_worker(app: Flask, stop: threading.Event, poll_seconds: float | None = None,
               woken: live.Subscription | None = None) -> None:
    interval = poll_seconds if poll_seconds is not None else app.config["WORKER_POLL_SECONDS"]
    woken = woken or live.subscribe({"outbox"}, app)
    with woken:
        while not stop.is_set():
            woken.wait(0)  # what was announced before this round is handled by it
            try:
                handled = run_once(app)
            except Exception:  # e.g. the database connection was lost while a job cleaned up: go on
                log.exception("a worker round failed")
                handled = 0
            if handled == 0:
                (stop if woken.closed else woken).wait(interval)


class WorkerStop(threading.Event):
    """Set to stop the worker: it also wakes the worker now rather than at its next safety poll."""

    def __init__(self, app: Flask):
        super().__init__()
        self.app = app

    def set(self) -> None:
        super().set()
        live.hub(self.app).deliver({"outbox"})


def start_worker_thread(app: Flask, poll_seconds: float | None = None) -> tuple[threading.Thread, threading.Event]:
    stop = WorkerStop(app)
    woken = live.subscribe({"outbox"}, app)  # before it starts: what is queued from now on wakes it
    thread = threading.Thread(target=run_worker, args=(app, stop, poll_seconds, woken), daemon=True,
                              name="pageshop-worker")
    thread.start()
    return thread, stop
