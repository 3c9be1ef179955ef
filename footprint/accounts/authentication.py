"""DRF authentication by API token: ``Authorization: Bearer <secret>`` (or ``Token <secret>``).

The presented secret is hashed and the hash looked up (see ``footprint.accounts.tokens``). An unknown,
revoked or expired token, or one of an inactive user, is a 401 saying which; a request without the header
is left to the next authenticator (the session).
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from footprint.accounts.tokens import token_find, token_touch

KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid Authorization header: expected 'Bearer <token>' (one token, no spaces).")
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        token = token_find(secret=secret)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        now = timezone.now()
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(f"Token {token.prefix}… was revoked; create a new one.")
        if token.is_expired(now=now):
            raise exceptions.AuthenticationFailed(f"Token {token.prefix}… has expired; create a new one.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        token_touch(token=token, now=now)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "A personal API token (create one at /account/tokens/): "
                               "`Authorization: Bearer <token>` (`Token <token>` also works)."}
