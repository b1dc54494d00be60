# The models TextTranslation and UserLanguage move here from apps.replies. Their tables stay as they are
# (replies_texttranslation, replies_userlanguage, created by replies 0001): this migration only adds them to
# this app's state; replies 0002 then removes them from replies' state. Neither touches the database schema.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ("texttranslation", "userlanguage")


def content_types_to(app_label: str, other: str):
    """Existing databases keep their content types (and the permissions on them): renamed, not recreated."""

    def move(apps, schema_editor):
        content_type = apps.get_model("contenttypes", "ContentType")
        db = schema_editor.connection.alias
        for model in MOVED:
            if not content_type.objects.using(db).filter(app_label=app_label, model=model).exists():
                content_type.objects.using(db).filter(app_label=other, model=model).update(app_label=app_label)

    return move


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('corpus', '0001_initial'),  # only needs CustomerText
        ('replies', '0001_initial'),  # created the tables
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='TextTranslation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('target_language', models.CharField(max_length=12)),
                        ('source_language', models.CharField(blank=True, max_length=12)),
                        ('translated_text', models.TextField()),
                        ('source_hash', models.CharField(max_length=64)),
                        ('model', models.CharField(blank=True, max_length=100)),
                        ('prompt', models.CharField(blank=True, max_length=60)),
                        ('prompt_version', models.PositiveSmallIntegerField(default=0)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('text', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='translations', to='corpus.customertext')),
                        ('workspace', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.workspace')),
                    ],
                    options={
                        'db_table': 'replies_texttranslation',
                        'constraints': [models.UniqueConstraint(fields=('text', 'target_language'), name='one_translation_per_language')],
                    },
                ),
                migrations.CreateModel(
                    name='UserLanguage',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('language', models.CharField(default='en', max_length=12)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='reading_language', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'replies_userlanguage',
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_to('translation', 'replies'), content_types_to('replies', 'translation'),
                             elidable=True),
    ]
