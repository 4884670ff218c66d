from tortoise import migrations
# A recipient organisation's bank account for transfers (issue 16 point 1, docs/domain.md §3.6).
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_donation_historical')]

    initial = False

    operations = [
        ops.AddField(
            model_name='RecipientOrg',
            name='bank_name',
            field=fields.CharField(default='', max_length=64),
        ),
        ops.AddField(
            model_name='RecipientOrg',
            name='bank_account_name',
            field=fields.CharField(default='', max_length=128),
        ),
        ops.AddField(
            model_name='RecipientOrg',
            name='bank_account_number',
            field=fields.CharField(default='', max_length=34),
        ),
    ]
