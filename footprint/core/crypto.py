"""Credentials at rest: Fernet-encrypted text fields that are never rendered back."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models


def _fernet() -> Fernet:
    return Fernet(settings.FERNET_KEY.encode())


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("credential cannot be decrypted with FOOTPRINT_FERNET_KEY (was the key rotated?)") from exc


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext; Python code sees plain text. Forms and admin never show the value."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def formfield(self, **kwargs):
        from django import forms

        kwargs.setdefault("widget", forms.PasswordInput(render_value=False))
        kwargs.setdefault("required", False)
        return super().formfield(**kwargs)
