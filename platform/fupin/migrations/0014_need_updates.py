from tortoise import migrations
# Progress updates on needs, their photos, followers and the donors' notices (fupin.progress, docs/domain.md §3.13).
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0013_notifications')]

    initial = False

    operations = [
        ops.CreateModel(
            name='NeedFollow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('need', fields.ForeignKeyField('models.Need', source_field='need_id', db_constraint=True, to_field='id', related_name='followers', on_delete=OnDelete.RESTRICT)),
                ('participant', fields.ForeignKeyField('models.Participant', source_field='participant_id', db_constraint=True, to_field='id', related_name='followed_needs', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'need_follow', 'app': 'models', 'unique_together': (('need', 'participant'),), 'indexes': [Index(fields=['participant_id'])], 'pk_attr': 'id', 'table_description': "A participant that asked to hear of a need's progress."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NeedUpdate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('need', fields.ForeignKeyField('models.Need', source_field='need_id', db_constraint=True, to_field='id', related_name='progress_updates', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharField(max_length=12)),
                ('text', fields.TextField(unique=False)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name='progress_updates', on_delete=OnDelete.SET_NULL)),
                ('author_role', fields.CharField(max_length=24)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'need_update', 'app': 'models', 'indexes': [Index(fields=['need_id', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NeedUpdatePhoto',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('update', fields.ForeignKeyField('models.NeedUpdate', source_field='update_id', db_constraint=True, to_field='id', related_name='photos', on_delete=OnDelete.RESTRICT)),
                ('sha256', fields.CharField(max_length=64)),
                ('content_type', fields.CharField(max_length=64)),
                ('size', fields.IntField()),
                ('original_name', fields.CharField(default='', max_length=255)),
            ],
            options={'table': 'need_update_photo', 'app': 'models', 'indexes': [Index(fields=['update_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UpdateNotice',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('update', fields.ForeignKeyField('models.NeedUpdate', source_field='update_id', db_constraint=True, to_field='id', related_name='notices', on_delete=OnDelete.RESTRICT)),
                ('participant', fields.ForeignKeyField('models.Participant', source_field='participant_id', db_constraint=True, to_field='id', related_name='update_notices', on_delete=OnDelete.RESTRICT)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'need_update_notice', 'app': 'models', 'unique_together': (('update', 'participant'),), 'indexes': [Index(fields=['participant_id', 'read_at'])], 'pk_attr': 'id', 'table_description': "One update in one participant's inbox, read once any of its members marks it read."},
            bases=['Model'],
        ),
    ]
