from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# The write counter the dashboards' cache is keyed by (fupin.db.transaction bumps it): a row
# on SQLite, a sequence on PostgreSQL (moved after the commit, so it locks nothing).


async def create_sequence(apps, schema_editor):
    client = schema_editor.client
    if str(client.capabilities.dialect) == "postgres":
        await client.execute_script("CREATE SEQUENCE IF NOT EXISTS data_generation_seq")


async def drop_sequence(apps, schema_editor):
    client = schema_editor.client
    if str(client.capabilities.dialect) == "postgres":
        await client.execute_script("DROP SEQUENCE IF EXISTS data_generation_seq")


class Migration(migrations.Migration):
    dependencies = [('models', '0016_dashboard_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DataGeneration',
            fields=[
                ('id', fields.IntField(generated=False, primary_key=True, unique=True, db_index=True)),
                ('n', fields.BigIntField(default=0)),
            ],
            options={'table': 'data_generation', 'app': 'models', 'pk_attr': 'id', 'table_description': 'How many write transactions the database has committed (one row, id 1): bumped as the'},
            bases=['Model'],
        ),
        ops.RunPython(create_sequence, drop_sequence),
    ]
