from tortoise import migrations
# Notifications: the in-app inbox, the e-mail outbox, the delivery log and preferences (docs/operations.md).
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0012_webhooks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=32)),
                ('params', fields.JSONField(default=dict, description='The values the text of the kind is written from (need title, amount as text, dates).', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('link', fields.CharField(default='', description='A path on the site the notice leads to ("/donations/12").', db_default='', max_length=255)),
                ('dedupe_key', fields.CharField(null=True, description='Set by senders that may run twice (the reminder sweep in several processes): one', max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notification', 'app': 'models', 'unique_together': (('user', 'dedupe_key'),), 'indexes': [Index(fields=['user_id', 'read_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notification', fields.ForeignKeyField('models.Notification', source_field='notification_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notification_deliveries', on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharField(default='email', max_length=8)),
                ('address', fields.CharField(description='The address when the notification was made (preferences may change afterwards).', max_length=254)),
                ('state', fields.CharField(default='pending', max_length=8)),
                ('attempts', fields.SmallIntField(default=0)),
                ('due_at', fields.DatetimeField(description='When it may be sent (again): now, after a backoff, or at the next daily digest.', auto_now=False, auto_now_add=False)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('claimed_by', fields.CharField(default='', db_default='', max_length=64)),
                ('last_error', fields.CharField(default='', db_default='', max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notification_delivery', 'app': 'models', 'indexes': [Index(fields=['state', 'due_at'])], 'pk_attr': 'id', 'table_description': 'The outbox: one e-mail to send. Claimed with a lease (``lease_until``, ``claimed_by``)'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DeliveryAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('delivery', fields.ForeignKeyField('models.NotificationDelivery', source_field='delivery_id', db_constraint=True, to_field='id', related_name='log', on_delete=OnDelete.CASCADE)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('outcome', fields.CharField(description='sent | retry | failed | interrupted | skipped', max_length=12)),
                ('detail', fields.CharField(default='', db_default='', max_length=500)),
                ('worker', fields.CharField(default='', db_default='', max_length=64)),
            ],
            options={'table': 'notification_attempt', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The delivery log: every attempt and what came of it (never the address or the text).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationPreference',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notification_preference', on_delete=OnDelete.CASCADE)),
                ('email', fields.CharField(default='', db_default='', max_length=254)),
                ('daily_digest', fields.BooleanField(default=False, db_default=False)),
                ('channels', fields.JSONField(default=dict, description='kind → "in_app", "email" or "off" (a kind not listed takes its default).', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'notification_preference', 'app': 'models', 'pk_attr': 'id', 'table_description': 'What a user chose: per kind of notification in-app only, in-app and e-mail, or off,'},
            bases=['Model'],
        ),
    ]
