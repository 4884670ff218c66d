from tortoise import migrations
# Public notices (公告公示), complaints (举报) with their events and attachments (docs/domain.md §3.10).
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_recipient_bank_account')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Disclosure',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('level', fields.CharField(description='county | township | village | project (docs/rules.md §7)', max_length=10)),
                ('kind', fields.CharField(db_index=True, description='one of the nine kinds of the 2017 guidance (``rules.notices.KINDS``)', max_length=16)),
                ('stage', fields.CharField(default='', description='before (公示, before implementation) | after (公告, after completion) | "" (other notices)', max_length=8)),
                ('region', fields.ForeignKeyField('models.Region', source_field='region_id', description='The place the notice is about: the county, a township or a village.', db_constraint=True, to_field='code', related_name='disclosures', on_delete=OnDelete.RESTRICT)),
                ('county_code', fields.CharField(db_index=True, max_length=12)),
                ('province_code', fields.CharField(db_index=True, max_length=12)),
                ('need', fields.ForeignKeyField('models.Need', source_field='need_id', null=True, db_constraint=True, to_field='id', related_name='disclosures', on_delete=OnDelete.RESTRICT)),
                ('title', fields.CharField(max_length=120)),
                ('body', fields.TextField(unique=False)),
                ('complaint_channel', fields.CharField(max_length=255)),
                ('publisher', fields.ForeignKeyField('models.User', source_field='publisher_id', null=True, db_constraint=True, to_field='id', related_name='disclosures', on_delete=OnDelete.SET_NULL)),
                ('publisher_label', fields.CharField(description='The office that publishes (县扶贫办 of the county), shown on the notice.', max_length=64)),
                ('published_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('min_display_days', fields.SmallIntField(null=True, description='None: a portal notice, kept public long-term (no take-down period).')),
                ('display_until', fields.DateField(null=True, description='Last day (China time, inclusive) of the minimum display period, None for portal notices.')),
                ('state', fields.CharField(default='published', db_index=True, description='published | taken_down', max_length=12)),
                ('taken_down_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('taken_down_reason', fields.TextField(default='', unique=False)),
                ('corrects', fields.ForeignKeyField('models.Disclosure', source_field='corrects_id', null=True, db_constraint=True, to_field='id', related_name='corrections', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'disclosure', 'app': 'models', 'indexes': [Index(fields=['county_code', 'published_at']), Index(fields=['need_id', 'stage'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Complaint',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tracking_code', fields.CharField(unique=True, description='What a person follows it with, without an account (random, unguessable).', max_length=12)),
                ('subject', fields.CharField(description="need | disclosure | donation | county (the county's handling)", max_length=12)),
                ('need', fields.ForeignKeyField('models.Need', source_field='need_id', null=True, db_constraint=True, to_field='id', related_name='complaints', on_delete=OnDelete.RESTRICT)),
                ('disclosure', fields.ForeignKeyField('models.Disclosure', source_field='disclosure_id', null=True, db_constraint=True, to_field='id', related_name='complaints', on_delete=OnDelete.RESTRICT)),
                ('donation', fields.ForeignKeyField('models.Donation', source_field='donation_id', null=True, db_constraint=True, to_field='id', related_name='complaints', on_delete=OnDelete.RESTRICT)),
                ('county_code', fields.CharField(db_index=True, max_length=12)),
                ('province_code', fields.CharField(db_index=True, max_length=12)),
                ('handler_level', fields.CharField(db_index=True, description='The office handling it now: county | province | national (escalation moves it up).', max_length=10)),
                ('content', fields.TextField(unique=False)),
                ('anonymous', fields.BooleanField(default=True)),
                ('name', fields.CharField(default='', max_length=64)),
                ('contact', fields.CharField(default='', max_length=128)),
                ('source_hash', fields.CharField(default='', db_index=True, max_length=64)),
                ('origin', fields.CharField(default='public', description='public | supervisor (an observation of a 扶贫监督员)', max_length=12)),
                ('filed_by', fields.ForeignKeyField('models.User', source_field='filed_by_id', null=True, db_constraint=True, to_field='id', related_name='complaints_filed', on_delete=OnDelete.SET_NULL)),
                ('state', fields.CharField(default='received', db_index=True, max_length=14)),
                ('received_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('due_on', fields.DateField(db_index=True, description='The handling deadline set when it was received (the statistics count against it).')),
                ('level_due_on', fields.DateField(db_index=True, description='The deadline of the office handling it now (a new one after each escalation).')),
                ('escalations', fields.SmallIntField(default=0)),
                ('not_accepted_reason', fields.TextField(default='', unique=False)),
                ('outcome', fields.CharField(default='', description='upheld | partly_upheld | not_upheld', max_length=16)),
                ('measures', fields.TextField(default='', unique=False)),
                ('public_summary', fields.TextField(default='', unique=False)),
                ('concluded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_on', fields.DateField(null=True, description='The day (China time) it was closed (concluded or not accepted), for "on time".')),
            ],
            options={'table': 'complaint', 'app': 'models', 'indexes': [Index(fields=['county_code', 'received_at']), Index(fields=['state', 'level_due_on'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ComplaintAttachment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('complaint', fields.ForeignKeyField('models.Complaint', source_field='complaint_id', db_constraint=True, to_field='id', related_name='attachments', on_delete=OnDelete.CASCADE)),
                ('sha256', fields.CharField(max_length=64)),
                ('content_type', fields.CharField(max_length=64)),
                ('size', fields.IntField()),
                ('original_name', fields.CharField(default='', max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'complaint_attachment', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ComplaintEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('complaint', fields.ForeignKeyField('models.Complaint', source_field='complaint_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('action', fields.CharField(max_length=16)),
                ('from_state', fields.CharField(default='', max_length=14)),
                ('to_state', fields.CharField(max_length=14)),
                ('handler_level', fields.CharField(default='', max_length=10)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='complaint_events', on_delete=OnDelete.SET_NULL)),
                ('actor_role', fields.CharField(default='', max_length=24)),
                ('note', fields.TextField(default='', unique=False)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'complaint_event', 'app': 'models', 'pk_attr': 'id', 'table_description': "One step of a complaint: who (the office's role, never the person, on public pages),"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DisclosureAttachment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('disclosure', fields.ForeignKeyField('models.Disclosure', source_field='disclosure_id', db_constraint=True, to_field='id', related_name='attachments', on_delete=OnDelete.CASCADE)),
                ('sha256', fields.CharField(max_length=64)),
                ('content_type', fields.CharField(max_length=64)),
                ('size', fields.IntField()),
                ('original_name', fields.CharField(default='', max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'disclosure_attachment', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A file of a notice: stored by content hash with the need attachments (same checks).'},
            bases=['Model'],
        ),
    ]
