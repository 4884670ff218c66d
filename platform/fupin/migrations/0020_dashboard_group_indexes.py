from tortoise import migrations
# The first national dashboard after a write reads indexes in its group order: the needs by
# state × province × category, the places that asked by county and village; and the
# stalled-needs alert finds the steps and files since a day by index (docs/architecture.md,
# "Dashboards").
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0019_update_notices_into_notifications')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Attachment',
            index=Index(fields=['need_id', 'created_at']),
        ),
        ops.AddIndex(
            model_name='Attachment',
            index=Index(fields=['created_at', 'need_id']),
        ),
        ops.AddIndex(
            model_name='Need',
            index=Index(fields=['state', 'province_code', 'category', 'published_at', 'target_fen']),
        ),
        ops.AddIndex(
            model_name='Need',
            index=Index(fields=['county_code', 'region_id', 'state', 'published_at']),
        ),
        ops.AddIndex(
            model_name='NeedEvent',
            index=Index(fields=['need_id', 'at']),
        ),
        ops.AddIndex(
            model_name='NeedEvent',
            index=Index(fields=['at', 'need_id']),
        ),
    ]
