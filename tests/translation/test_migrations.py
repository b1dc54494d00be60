"""The move of TextTranslation and UserLanguage from replies to translation is state only: the tables keep their
names and the two migrations that move them write no SQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.translation.models import TextTranslation, UserLanguage

MOVE = [("translation", "0001_initial"), ("replies", "0002_move_translation_models")]


def test_the_models_keep_their_tables():
    assert TextTranslation._meta.db_table == "replies_texttranslation"
    assert UserLanguage._meta.db_table == "replies_userlanguage"


@pytest.mark.django_db
def test_the_move_writes_no_sql():
    executor = MigrationExecutor(connection)
    plan = [(executor.loader.graph.nodes[key], False) for key in MOVE]
    statements = [s for s in executor.loader.collect_sql(plan) if not s.lstrip().startswith("--")]
    assert statements == []
    assert {"replies_texttranslation", "replies_userlanguage"} <= set(connection.introspection.table_names())
