from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# AddField records db_index in the migration state but (Tortoise 1.x) creates no index, so the
# index is created explicitly, under the name generate_schemas gives it (tests/test_migrations.py
# compares the migrated schema with the models' on SQLite and PostgreSQL).


class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Objection',
            name='source_hash',
            field=fields.CharField(default='', db_index=True, max_length=64),
        ),
        ops.RunSQL(
            'CREATE INDEX "idx_commendatio_source__65f19d" ON "commendation_objection" ("source_hash")',
            reverse_sql='DROP INDEX "idx_commendatio_source__65f19d"',
        ),
    ]
