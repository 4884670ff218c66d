from tortoise import migrations
# The supervision alert lists read from indexes: the donations still without a receipt, the
# receipts still without official numbers (docs/domain.md, "Supervision alerts").
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0017_data_generation')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Donation',
            index=Index(fields=['state', 'received_on', 'kind', 'reverses_id', 'amount_fen', 'need_id']),
        ),
        ops.AddIndex(
            model_name='Receipt',
            index=Index(fields=['state', 'issued_on', 'donation_id']),
        ),
    ]
