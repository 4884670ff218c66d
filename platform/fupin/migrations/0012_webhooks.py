from tortoise import migrations
# Webhooks for partner systems: endpoints, events, the delivery queue and its log (docs/webhooks.md).
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0011_disclosures_complaints')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WebhookEndpoint',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('owner_kind', fields.CharField(description='"participant" or "office"', max_length=12)),
                ('participant', fields.ForeignKeyField('models.Participant', source_field='participant_id', null=True, db_constraint=True, to_field='id', related_name='webhook_endpoints', on_delete=OnDelete.CASCADE)),
                ('office_region_code', fields.CharField(default='', db_index=True, description='The owning office\'s region ("" for the national office and for participants).', max_length=12)),
                ('office_province_code', fields.CharField(default='', max_length=12)),
                ('office_county_code', fields.CharField(default='', max_length=12)),
                ('url', fields.CharField(max_length=500)),
                ('description', fields.CharField(default='', max_length=200)),
                ('event_types', fields.JSONField(default=list, description='Event types wanted (sharing.rules.events.EVENT_TYPES).', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('place_code', fields.CharField(default='', max_length=12)),
                ('categories', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('secret', fields.CharField(description='The signing secret. It must be readable to sign, so it is stored, and shown to a person', max_length=64)),
                ('secret_rotated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('active', fields.BooleanField(default=True)),
                ('consecutive_failures', fields.IntField(default=0, description='Failed deliveries in a row (a success resets it). At the limit the endpoint is disabled.')),
                ('disabled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('disabled_reason', fields.CharField(default='', max_length=300)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='webhook_endpoints', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'webhook_endpoint', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Where a partner system wants events sent. Owned either by a participant (its members'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=80)),
                ('type', fields.CharField(db_index=True, max_length=40)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('province_code', fields.CharField(default='', max_length=12)),
                ('county_code', fields.CharField(default='', max_length=12)),
                ('region_code', fields.CharField(default='', max_length=12)),
                ('category', fields.CharField(default='', max_length=20)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'webhook_event', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One thing that happened, as partners receive it. ``key`` names its source record, so'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('endpoint', fields.ForeignKeyField('models.WebhookEndpoint', source_field='endpoint_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('event', fields.ForeignKeyField('models.WebhookEvent', source_field='event_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('state', fields.CharField(default='pending', db_index=True, max_length=12)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('last_status_code', fields.IntField(null=True)),
                ('last_error', fields.CharField(default='', max_length=300)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'webhook_delivery', 'app': 'models', 'indexes': [Index(fields=['state', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'One event for one endpoint: the persistent queue row. A worker claims it by moving'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('delivery', fields.ForeignKeyField('models.WebhookDelivery', source_field='delivery_id', db_constraint=True, to_field='id', related_name='log', on_delete=OnDelete.CASCADE)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('status_code', fields.IntField(null=True)),
                ('error', fields.CharField(default='', max_length=300)),
                ('duration_ms', fields.IntField(default=0)),
                ('trigger', fields.CharField(default='worker', description='"worker" or "manual" (a redelivery by hand)', max_length=8)),
            ],
            options={'table': 'webhook_attempt', 'app': 'models', 'pk_attr': 'id', 'table_description': "The delivery log: one row per try (when, the answer's status code or the error)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookScan',
            fields=[
                ('source', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('scanned_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_scan', 'app': 'models', 'pk_attr': 'source', 'table_description': 'How far the event scan has read one source (an instant, read again with an overlap so a'},
            bases=['Model'],
        ),
    ]
