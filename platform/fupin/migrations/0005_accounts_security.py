from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from datetime import timedelta

# Server-side sessions, set-password links, who created each account, API token expiry, and
# login attempts recorded before their password is checked (docs/security.md). Tokens made
# before expiries existed expire a year after they were made (the default lifetime).


async def expire_old_tokens(apps, schema_editor):
    ApiToken = apps.get_model("models.ApiToken")
    client = schema_editor.client
    for token in await ApiToken.filter(expires_at__isnull=True).using_db(client):
        token.expires_at = token.created_at + timedelta(days=365)
        await token.save(update_fields=["expires_at"], using_db=client)


async def nothing_to_undo(apps, schema_editor):
    return None


class Migration(migrations.Migration):
    dependencies = [('models', '0004_honour_in_settled_month')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PasswordLink',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='password_links', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('purpose', fields.CharField(max_length=8)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='issued_password_links', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'password_link', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A one-time, expiring link with which a person sets their own password: to activate an'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UserSession',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('key_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('end_reason', fields.CharField(default='', max_length=24)),
                ('ip', fields.CharField(default='', max_length=64)),
                ('user_agent', fields.CharField(default='', max_length=255)),
            ],
            options={'table': 'user_session', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A browser session. The cookie carries an opaque random id, the table only its SHA-256,'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='ApiToken',
            name='expires_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.RunPython(expire_old_tokens, nothing_to_undo),
        ops.AlterModelOptions(
            name='LoginAttempt',
            options={'table': 'login_attempt', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Login attempts, kept in the database so the lock-out holds across processes. Each attempt'},
        ),
        ops.AddField(
            model_name='LoginAttempt',
            name='outcome',
            field=fields.CharField(default='failed', db_default='failed', max_length=8),
        ),
        ops.AddField(
            model_name='User',
            name='created_by',
            field=fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='created_users', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='User',
            name='password_changed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
