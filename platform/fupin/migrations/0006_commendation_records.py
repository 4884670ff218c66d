from tortoise import migrations
# Commendation consent with its date; a round cancelled with a reason (docs/domain.md §3.9).
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_accounts_security')]

    initial = False

    operations = [
        ops.AddField(
            model_name='CommendationRound',
            name='cancel_reason',
            field=fields.TextField(default='', unique=False),
        ),
        ops.AddField(
            model_name='CommendationRound',
            name='cancelled_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Participant',
            name='commendation_consent_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
