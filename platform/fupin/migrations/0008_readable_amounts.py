import re

from tortoise import migrations
from tortoise.migrations import operations as ops

# The need history's "funded" and "back to raising money" entries were written with raw fen
# ("有效认捐 4800000 分已覆盖目标 4800000 分。", "… of 4800000 fen …"). Rewrite them in yuan as
# the service now writes them ("¥48,000.00"). Only those two system entries are touched, and
# only the numbers followed by the unit; the yuan format is the one of fupin.core.money,
# copied here so the migration stays as it ran.

_ZH = re.compile(r"(\d+) 分(?=(.?))")
_EN = re.compile(r"(\d+) fen\b")


def _yuan(fen: int) -> str:
    whole, part = divmod(fen, 100)
    return f"¥{whole:,}.{part:02d}"


def readable(reason: str) -> str:
    # "… 4800000 分已覆盖 …" → "… ¥48,000.00 已覆盖 …" (a space before the next word, none
    # before punctuation), as the service writes it now
    reason = _ZH.sub(
        lambda m: _yuan(int(m.group(1))) + ("" if m.group(2) in ("", "，", "。") else " "), reason
    )
    return _EN.sub(lambda m: _yuan(int(m.group(1))), reason)


async def rewrite_fen_reasons(apps, schema_editor):
    NeedEvent = apps.get_model("models.NeedEvent")
    client = schema_editor.client
    events = await NeedEvent.filter(action__in=["fund", "unfund"]).using_db(client)
    for event in events:
        text = readable(event.reason or "")
        if text != event.reason:
            event.reason = text
            await event.save(update_fields=["reason"], using_db=client)


async def nothing_to_undo(apps, schema_editor):
    return None


class Migration(migrations.Migration):
    dependencies = [("models", "0007_village_registry")]

    initial = False

    operations = [
        ops.RunPython(rewrite_fen_reasons, nothing_to_undo),
    ]
