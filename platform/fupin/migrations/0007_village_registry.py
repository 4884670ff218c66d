from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

# The national village registry (data/villages.csv.gz, loaded by `fupin data load`): the source
# name beside the display name, where a row comes from, counties' poor-village years, merges,
# and the log of counties' edits. Villages generated before (tests, old demos) are marked so.


async def mark_generated(apps, schema_editor):
    Region = apps.get_model("models.Region")
    await Region.filter(is_generated=True).using_db(schema_editor.client).update(origin="generated")


async def nothing_to_undo(apps, schema_editor):
    return None


class Migration(migrations.Migration):
    dependencies = [('models', '0006_commendation_records')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RegionChange',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('region', fields.ForeignKeyField('models.Region', source_field='region_id', db_constraint=True, to_field='code', related_name='changes', on_delete=OnDelete.RESTRICT)),
                ('county_code', fields.CharField(db_index=True, max_length=12)),
                ('province_code', fields.CharField(db_index=True, max_length=12)),
                ('action', fields.CharField(max_length=16)),
                ('before', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('actor_id', fields.IntField(null=True)),
                ('actor_label', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'region_change', 'app': 'models', 'pk_attr': 'id', 'table_description': "A county's edit of the village registry — added, renamed, merged, poor-village flag —"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Region',
            name='merged_into',
            field=fields.ForeignKeyField('models.Region', source_field='merged_into_id', null=True, db_constraint=True, to_field='code', related_name='merged_villages', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Region',
            name='origin',
            field=fields.CharField(default='registry', db_default='registry', max_length=12),
        ),
        ops.AddField(
            model_name='Region',
            name='poor_exited_year',
            field=fields.SmallIntField(null=True),
        ),
        ops.AddField(
            model_name='Region',
            name='poor_identified_year',
            field=fields.SmallIntField(null=True),
        ),
        ops.AddField(
            model_name='Region',
            name='source_name',
            field=fields.CharField(default='', db_default='', max_length=128),
        ),
        ops.AlterField(
            model_name='Region',
            name='name',
            field=fields.CharField(db_index=True, max_length=64),
        ),
        # AlterField creates the name index on PostgreSQL; on SQLite it rebuilds the table and
        # loses every index (docs/stack.md §4.6), so all of region's are (re)created here.
        ops.RunSQL(
            'CREATE INDEX IF NOT EXISTS "idx_region_name_966130" ON "region" ("name")',
            reverse_sql='SELECT 1',
        ),
        ops.RunSQL(
            'CREATE INDEX IF NOT EXISTS "idx_region_level_b815e5" ON "region" ("level")',
            reverse_sql='SELECT 1',
        ),
        ops.RunSQL(
            'CREATE INDEX IF NOT EXISTS "idx_region_provinc_938c16" ON "region" ("province_code")',
            reverse_sql='SELECT 1',
        ),
        ops.RunSQL(
            'CREATE INDEX IF NOT EXISTS "idx_region_prefect_9d473a" ON "region" ("prefecture_code")',
            reverse_sql='SELECT 1',
        ),
        ops.RunSQL(
            'CREATE INDEX IF NOT EXISTS "idx_region_county__6dcd0a" ON "region" ("county_code")',
            reverse_sql='SELECT 1',
        ),
        ops.RunSQL(
            'CREATE INDEX IF NOT EXISTS "idx_region_is_pove_58e144" ON "region" ("is_poverty_county")',
            reverse_sql='SELECT 1',
        ),
        ops.RunPython(mark_generated, nothing_to_undo),
    ]
