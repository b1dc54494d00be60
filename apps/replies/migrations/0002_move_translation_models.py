# TextTranslation and UserLanguage moved to apps.translation (its 0001 adds them to its state). Here they leave
# replies' state only: their tables, replies_texttranslation and replies_userlanguage, stay where they are.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('replies', '0001_initial'),
        ('translation', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='TextTranslation'),
                migrations.DeleteModel(name='UserLanguage'),
            ],
            database_operations=[],
        ),
    ]
