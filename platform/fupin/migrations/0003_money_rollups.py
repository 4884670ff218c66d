from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

# The dashboards' money rollups (fupin.models.rollups) and the indexes the dashboards read.
# The rollups are derived data: the last step fills them from the pledges and donations already
# recorded, with the same statements as `fupin rollups rebuild` (a migration that later changes
# their shape must rebuild them again).


async def fill_rollups(apps, schema_editor):
    from fupin.domain.money_rollups import rebuild

    await rebuild(schema_editor.client)


async def empty_rollups(apps, schema_editor):
    return None

class Migration(migrations.Migration):
    dependencies = [('models', '0002_objection_sender')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CountyRollup',
            fields=[
                ('pledges', fields.BigIntField(default=0)),
                ('pledged_fen', fields.BigIntField(default=0)),
                ('honoured', fields.BigIntField(default=0)),
                ('withdrawn', fields.BigIntField(default=0)),
                ('closed_due', fields.BigIntField(default=0)),
                ('closed_due_fen', fields.BigIntField(default=0)),
                ('closed_paid_fen', fields.BigIntField(default=0)),
                ('donations', fields.BigIntField(default=0)),
                ('received_fen', fields.BigIntField(default=0)),
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('year', fields.SmallIntField()),
                ('county_code', fields.CharField(max_length=12)),
                ('category', fields.CharField(max_length=20)),
                ('province_code', fields.CharField(max_length=12)),
            ],
            options={'table': 'rollup_county_money', 'app': 'models', 'unique_together': (('year', 'county_code', 'category'),), 'pk_attr': 'id', 'table_description': 'National and province dashboards: by province or county and category.'},
            bases=['Measures'],
        ),
        ops.CreateModel(
            name='MonthRollup',
            fields=[
                ('pledges', fields.BigIntField(default=0)),
                ('pledged_fen', fields.BigIntField(default=0)),
                ('honoured', fields.BigIntField(default=0)),
                ('withdrawn', fields.BigIntField(default=0)),
                ('closed_due', fields.BigIntField(default=0)),
                ('closed_due_fen', fields.BigIntField(default=0)),
                ('closed_paid_fen', fields.BigIntField(default=0)),
                ('donations', fields.BigIntField(default=0)),
                ('received_fen', fields.BigIntField(default=0)),
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('month', fields.IntField()),
                ('county_code', fields.CharField(max_length=12)),
                ('province_code', fields.CharField(max_length=12)),
            ],
            options={'table': 'rollup_month_money', 'app': 'models', 'unique_together': (('month', 'county_code'),), 'pk_attr': 'id', 'table_description': 'Money over time: per month and county.'},
            bases=['Measures'],
        ),
        ops.CreateModel(
            name='NeedRollup',
            fields=[
                ('pledges', fields.BigIntField(default=0)),
                ('pledged_fen', fields.BigIntField(default=0)),
                ('honoured', fields.BigIntField(default=0)),
                ('withdrawn', fields.BigIntField(default=0)),
                ('closed_due', fields.BigIntField(default=0)),
                ('closed_due_fen', fields.BigIntField(default=0)),
                ('closed_paid_fen', fields.BigIntField(default=0)),
                ('donations', fields.BigIntField(default=0)),
                ('received_fen', fields.BigIntField(default=0)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('need_id', fields.IntField()),
                ('month', fields.IntField()),
                ('pair_id', fields.IntField()),
                ('who', fields.IntField()),
                ('region_id', fields.CharField(max_length=12)),
                ('county_code', fields.CharField(max_length=12)),
                ('province_code', fields.CharField(max_length=12)),
                ('category', fields.CharField(max_length=20)),
            ],
            options={'table': 'rollup_need_money', 'app': 'models', 'unique_together': (('need_id', 'month', 'pair_id', 'who'),), 'indexes': [Index(fields=['county_code', 'month']), Index(fields=['pair_id', 'month']), Index(fields=['who', 'month'])], 'pk_attr': 'id'},
            bases=['Measures'],
        ),
        ops.CreateModel(
            name='PairRollup',
            fields=[
                ('pledges', fields.BigIntField(default=0)),
                ('pledged_fen', fields.BigIntField(default=0)),
                ('honoured', fields.BigIntField(default=0)),
                ('withdrawn', fields.BigIntField(default=0)),
                ('closed_due', fields.BigIntField(default=0)),
                ('closed_due_fen', fields.BigIntField(default=0)),
                ('closed_paid_fen', fields.BigIntField(default=0)),
                ('donations', fields.BigIntField(default=0)),
                ('received_fen', fields.BigIntField(default=0)),
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('year', fields.SmallIntField()),
                ('pair_id', fields.IntField()),
                ('who', fields.IntField()),
                ('county_code', fields.CharField(max_length=12)),
                ('province_code', fields.CharField(max_length=12)),
            ],
            options={'table': 'rollup_pair_money', 'app': 'models', 'unique_together': (('year', 'pair_id', 'who', 'county_code'),), 'pk_attr': 'id', 'table_description': "Pairs' own and mobilised money: only rows attributed to a pair or given by a helper."},
            bases=['Measures'],
        ),
        ops.CreateModel(
            name='VillageRollup',
            fields=[
                ('pledges', fields.BigIntField(default=0)),
                ('pledged_fen', fields.BigIntField(default=0)),
                ('honoured', fields.BigIntField(default=0)),
                ('withdrawn', fields.BigIntField(default=0)),
                ('closed_due', fields.BigIntField(default=0)),
                ('closed_due_fen', fields.BigIntField(default=0)),
                ('closed_paid_fen', fields.BigIntField(default=0)),
                ('donations', fields.BigIntField(default=0)),
                ('received_fen', fields.BigIntField(default=0)),
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('year', fields.SmallIntField()),
                ('region_id', fields.CharField(max_length=12)),
                ('county_code', fields.CharField(max_length=12)),
                ('province_code', fields.CharField(max_length=12)),
            ],
            options={'table': 'rollup_village_money', 'app': 'models', 'unique_together': (('year', 'region_id'),), 'pk_attr': 'id', 'table_description': 'Villages reached and concentration: money per village (needs of a whole county are not'},
            bases=['Measures'],
        ),
        ops.AddIndex(
            model_name='Need',
            index=Index(fields=['published_at', 'state', 'province_code', 'county_code', 'region_id', 'category', 'target_fen']),
        ),
        ops.AddIndex(
            model_name='Need',
            index=Index(fields=['region_id', 'state', 'published_at']),
        ),
        ops.AddIndex(
            model_name='Pledge',
            index=Index(fields=['state', 'due_date', 'created_at', 'need_id', 'participant_id', 'pair_id', 'amount_fen', 'paid_fen']),
        ),
        ops.RunPython(fill_rollups, empty_rollups),
    ]
