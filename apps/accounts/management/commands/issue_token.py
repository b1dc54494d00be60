from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import Role
from apps.accounts.services import ensure_member, issue_token


class Command(BaseCommand):
    help = "Create the user, workspace and membership if missing, and print a new API token on the last line."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--workspace", required=True)
        parser.add_argument("--role", default=Role.ANALYST, choices=Role.values)

    def handle(self, *args, username: str, workspace: str, role: str, **options):
        try:
            membership = ensure_member(username, workspace, role)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        token = issue_token(membership)
        self.stderr.write(f"Token for {username} in {workspace!r} as {role}:")
        self.stdout.write(token)
