from tortoise import migrations
# The lists' index also covers the dashboards' needs: the village appended
# (docs/architecture.md, "Lists").
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0015_list_indexes')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='Need',
            fields=['state', 'published_at', 'deadline', 'pledged_fen', 'target_fen', 'province_code', 'county_code', 'category'],
        ),
        ops.AddIndex(
            model_name='Need',
            index=Index(fields=['state', 'published_at', 'deadline', 'pledged_fen', 'target_fen', 'province_code', 'county_code', 'category', 'region_id']),
        ),
    ]
