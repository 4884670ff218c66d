from tortoise import migrations
# A donation entered by the national office's historical-records import (docs/domain.md §3.6).
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_readable_amounts')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Donation',
            name='historical',
            field=fields.BooleanField(default=False, unique=False),
        ),
    ]
