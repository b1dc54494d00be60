"""Model fields that keep personal data encrypted at rest (see crypto.py for keys and rotation).

Values are plaintext in Python and Fernet tokens in the database. The empty value is stored as is, so "no
value" stays queryable (`original_text=""`) without decrypting; any other lookup on an encrypted column is
meaningless (each encryption is randomised): use a BlindIndexField (a keyed digest per workspace) for exact
matches.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    description = "Text encrypted at rest (Fernet)"

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt_str(str(value))

    def from_db_value(self, value: str | None, expression, connection) -> str | None:
        if value is None or value == "":
            return value
        if not crypto.is_token(value):
            # Never hand out (or keep using) plaintext from an encrypted column: it means a write bypassed
            # this field (raw SQL, an F() expression) and must be fixed, not tolerated.
            raise crypto.DecryptionError(f"{self.model.__name__}.{self.name} holds a value that is not encrypted.")
        return crypto.decrypt_str(value)


class EncryptedBinaryField(models.BinaryField):
    description = "Bytes encrypted at rest (Fernet)"

    def get_db_prep_value(self, value: Any, connection, prepared: bool = False) -> Any:
        if value is not None and len(value):
            value = crypto.encrypt(bytes(value))
        return super().get_db_prep_value(value, connection, prepared)

    def from_db_value(self, value: Any, expression, connection) -> bytes | None:
        if value is None:
            return None
        value = bytes(value)
        if not value:
            return b""
        if not crypto.is_token(value):
            raise crypto.DecryptionError(f"{self.model.__name__}.{self.name} holds bytes that are not encrypted.")
        return crypto.decrypt(value)


class BlindIndexField(models.CharField):
    """Keyed digest of another (encrypted) field's normalised value within its row's workspace
    (`crypto.blind_index`), computed on save and on bulk_create, so exact lookups stay SQL:
    `filter(author_digest__in=crypto.blind_indexes(name, workspace.pk))`. The same value in two workspaces gives
    unrelated digests. `queryset.update()` and `bulk_update()` skip it: set it yourself there."""

    def __init__(self, *args: Any, source: str, workspace: str = "workspace_id", **kwargs: Any):
        self.source = source
        self.workspace = workspace  # the attribute holding the row's workspace id
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if self.workspace != "workspace_id":
            kwargs["workspace"] = self.workspace
        for key, default in (("max_length", 64), ("blank", True), ("editable", False)):
            if kwargs.get(key) == default:
                kwargs.pop(key)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = getattr(model_instance, self.source) or ""
        value = crypto.blind_index(value, getattr(model_instance, self.workspace)) if value else ""
        setattr(model_instance, self.attname, value)
        return value
