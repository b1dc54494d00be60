"""The abstract model copy variants and reply drafts share (apps/moderation/reviewed.py): both inherit every
shared field unchanged, moving the fields there left no migration pending, and its helpers keep the rules
both apps had (history kept to the newest ten, a moderation reason cut to 2000 characters)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from apps.copy.models import CopyVariant
from apps.moderation.reviewed import HISTORY_KEPT, GeneratedTextUnderReview
from apps.replies.models import ReplyDraft

SHARED = ["moderation_status", "moderation_reason", "moderation_case_id", "approved_by", "approved_at", "edited",
          "history", "attempts", "model", "prompt", "prompt_version", "seed", "created_at", "updated_at"]
CONCRETE = (CopyVariant, ReplyDraft)


def test_the_shared_fields_are_the_abstract_models():
    assert GeneratedTextUnderReview._meta.abstract
    assert sorted(f.name for f in GeneratedTextUnderReview._meta.fields) == sorted(SHARED)


@pytest.mark.parametrize("model", CONCRETE, ids=lambda m: m.__name__)
def test_both_models_inherit_every_shared_field_unchanged(model):
    assert issubclass(model, GeneratedTextUnderReview) and not model._meta.abstract
    for name in SHARED:
        field, shared = model._meta.get_field(name), GeneratedTextUnderReview._meta.get_field(name)
        assert field.model is model and field.column == shared.column == field.attname
        # Same type and options (default, null, blank, choices, max_length, related_name, on_delete, target).
        assert field.deconstruct()[1:] == shared.deconstruct()[1:], name


def test_what_differs_stays_on_the_concrete_models():
    # How approval is recorded differs: copy's flag, replies' status; and only copy records who edited.
    assert {"approved", "edited_by", "favourite"} <= {f.name for f in CopyVariant._meta.fields}
    assert {"status", "created_by"} <= {f.name for f in ReplyDraft._meta.fields}
    assert CopyVariant._meta.get_field("language").blank is False
    assert ReplyDraft._meta.get_field("language").blank is True


@pytest.mark.django_db
def test_no_migration_is_pending():
    """Moving fields to an abstract model must not change the schema: makemigrations finds nothing to write."""
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)  # exits 1 on a change
    assert "No changes detected" in out.getvalue()


@pytest.mark.parametrize("model", CONCRETE, ids=lambda m: m.__name__)
def test_remember_keeps_the_newest_entries(model):
    text = model(history=[])
    for n in range(HISTORY_KEPT + 3):
        text.remember({"n": n})
    assert HISTORY_KEPT == 10
    assert [e["n"] for e in text.history] == list(range(3, HISTORY_KEPT + 3))


@pytest.mark.parametrize("model", CONCRETE, ids=lambda m: m.__name__)
def test_take_moderation_sets_the_instance_and_returns_the_update(model):
    text = model()
    fields = text.take_moderation("hidden", "x" * 2500, 7)
    assert (text.moderation_status, len(text.moderation_reason), text.moderation_case_id) == ("hidden", 2000, 7)
    assert set(fields) == {"moderation_status", "moderation_reason", "moderation_case_id", "updated_at"}
    assert (fields["moderation_status"], fields["moderation_reason"], fields["moderation_case_id"]) == (
        "hidden", text.moderation_reason, 7)
