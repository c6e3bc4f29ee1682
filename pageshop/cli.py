"""Command-line tools: flask seed, flask create-admin, flask worker, flask facebook-approve."""
import signal

import click
from flask import Flask, current_app
from flask_babel import gettext as _

from .errors import DomainError


def register_cli(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--email", prompt=True)
    @click.option("--name", default="")
    def create_admin_command(email: str, name: str) -> None:
        """Create an admin user; asks for the password twice."""
        from .accounts import check_new_admin_email, create_admin

        try:
            email = check_new_admin_email(email)  # before the password is typed for nothing
            # Hidden while typed; click's prompt (not getpass directly) also answers to test input.
            password = click.prompt(_("Password"), hide_input=True)
            if password != click.prompt(_("Repeat password"), hide_input=True):
                raise click.ClickException(_("The passwords don't match."))
            user = create_admin(email, password, name)
        except DomainError as exc:
            raise click.ClickException(exc.message)
        click.echo(_("Admin %(email)s created.", email=user.email))

    @app.cli.command("worker")
    @click.option("--once", is_flag=True, help="Send what is due now, then exit.")
    def worker_command(once: bool) -> None:
        """Deliver Messenger notifications and e-mails until stopped."""
        from .worker import WorkerStop, run_once, run_worker

        app_obj = current_app._get_current_object()
        if once:
            click.echo(f"{run_once(app_obj)} delivered.")
            return
        stop = WorkerStop(app_obj)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        click.echo("Worker running; Ctrl+C to stop.")
        run_worker(app_obj, stop)

    @app.cli.command("facebook-approve")
    def facebook_approve_command() -> None:
        """Approve the store's Facebook shop, as Facebook does after its review (A5)."""
        from .channels import approve
        from .store import get_store

        try:
            store = get_store()
            if store.review_state != "approved":
                approve(store)
        except DomainError as exc:
            raise click.ClickException(exc.message)
        click.echo(f"Facebook shop review state: {store.review_state}")

    from . import seed

    seed.register(app)

    from .messenger import profile

    profile.register(app)
