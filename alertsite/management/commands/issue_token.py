"""`manage.py issue_token USERNAME`: print a JWT access token for curl and scripts."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework_simplejwt.tokens import AccessToken


class Command(BaseCommand):
    help = (
        "Print an access token for USERNAME, e.g. "
        'curl -H "Authorization: Bearer $(manage.py issue_token manager)" http://127.0.0.1:8000/api/alerts'
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        User = get_user_model()
        user = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive; no token issued.")
        self.stdout.write(str(AccessToken.for_user(user)))
