from tortoise import migrations
# The needs lists' default order walked in an index (docs/architecture.md, "Lists").
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0014_need_updates')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Need',
            index=Index(fields=['state', 'published_at', 'deadline', 'pledged_fen', 'target_fen', 'province_code', 'county_code', 'category']),
        ),
    ]
