"""JWT authentication with one rule for the user a token names (access, refresh and logout).

simplejwt looks the user up with whatever the token's `user_id` claim holds:
a validly signed token of a deleted user, or with a `user_id` that is not a
number, made its refresh serializer fail with a 500. Here such a token is a
401 everywhere, and a refresh token is refused, like an access token, once
its user is inactive or has changed password (`CHECK_REVOKE_TOKEN`).
"""

from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt import authentication, serializers
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from alertsite.api.filters import MAX_ID
from alertsite.backends import user_with_permissions


def token_user_id(token: Token) -> int:
    """The user id a token names, a whole number a primary key can hold; else InvalidToken."""
    value = token.payload.get(api_settings.USER_ID_CLAIM)
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID):
        raise InvalidToken(_("Token contained no recognizable user identification"))
    return int(text)


def token_user(token: Token):
    """The active user a token belongs to, issued since their last password change; else 401.

    Read with their permissions, current at this request (`user_with_permissions`).
    """
    user = user_with_permissions(token_user_id(token))
    if user is None:
        raise AuthenticationFailed(_("User not found"), code="user_not_found")
    if not api_settings.USER_AUTHENTICATION_RULE(user):
        raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
    if api_settings.CHECK_REVOKE_TOKEN and token.get(
        api_settings.REVOKE_TOKEN_CLAIM
    ) != get_md5_hash_password(user.password):
        raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
    return user


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's header authentication, with the user found by `token_user`."""

    def get_user(self, validated_token: Token):
        return token_user(validated_token)


class TokenRefreshSerializer(serializers.TokenRefreshSerializer):
    """`{refresh}` → `{access, refresh}`: the old refresh token is blacklisted (rotation)."""

    def validate(self, attrs):
        token_user(self.token_class(attrs["refresh"]))
        return super().validate(attrs)


class TokenBlacklistSerializer(serializers.TokenBlacklistSerializer):
    """`{refresh}` → the token is blacklisted (sign out), whoever its user is now."""

    def validate(self, attrs):
        token_user_id(self.token_class(attrs["refresh"]))
        return super().validate(attrs)
