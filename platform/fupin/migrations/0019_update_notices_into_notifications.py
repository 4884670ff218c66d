from tortoise import migrations
from tortoise.migrations import operations as ops

# A progress update reached a participant twice: as an UpdateNotice (the participant's /me/updates,
# read once any member read it) and as a need_progress notification for each member. The
# notification is now the only one. Every member of a noticed participant gets the notification
# the service would have written (same kind, parameters, link and dedupe key, dated with the
# update) where it has none yet, read if the notice was read; a member's existing notification
# becomes read when the notice was. Then the notices go. The labels and the summary's length are
# those of fupin.progress, copied here so the migration stays as it ran.

KIND_LABELS = {"started": "开工", "progress": "进展", "delivered": "已交付", "accepted": "已验收"}
SUMMARY_CHARS = 80


async def notices_into_notifications(apps, schema_editor):
    client = schema_editor.client
    UpdateNotice = apps.get_model("models.UpdateNotice")
    NeedUpdate = apps.get_model("models.NeedUpdate")
    Need = apps.get_model("models.Need")
    User = apps.get_model("models.User")
    Notification = apps.get_model("models.Notification")
    notices = await UpdateNotice.all().using_db(client).values(
        "update_id", "participant_id", "read_at"
    )
    if not notices:
        return
    update_ids = sorted({n["update_id"] for n in notices})
    updates = {
        u["id"]: u
        for u in await NeedUpdate.filter(id__in=update_ids)
        .using_db(client)
        .values("id", "need_id", "kind", "text", "created_at")
    }
    titles = dict(
        await Need.filter(id__in=sorted({u["need_id"] for u in updates.values()}))
        .using_db(client)
        .values_list("id", "title")
    )
    members: dict[int, list[int]] = {}
    participant_ids = sorted({n["participant_id"] for n in notices})
    users = await User.filter(participant_id__in=participant_ids).using_db(client).values_list(
        "id", "participant_id"
    )
    for user_id, participant_id in users:
        members.setdefault(participant_id, []).append(user_id)
    keys = [f"need_update:{i}" for i in update_ids]
    existing = {
        (user_id, key): (notification_id, read_at)
        for notification_id, user_id, key, read_at in await Notification.filter(
            dedupe_key__in=keys
        )
        .using_db(client)
        .values_list("id", "user_id", "dedupe_key", "read_at")
    }
    made = []
    for notice in notices:
        update = updates[notice["update_id"]]
        key = f"need_update:{update['id']}"
        kind = update["kind"]
        summary = f"{KIND_LABELS.get(kind, kind)}：{update['text'][:SUMMARY_CHARS]}"
        for user_id in members.get(notice["participant_id"], []):
            found = existing.get((user_id, key))
            if found is not None:
                notification_id, read_at = found
                if notice["read_at"] is not None and read_at is None:
                    await Notification.filter(id=notification_id).using_db(client).update(
                        read_at=notice["read_at"]
                    )
                continue
            made.append(
                Notification(
                    user_id=user_id,
                    kind="need_progress",
                    params={
                        "need_title": titles.get(update["need_id"], ""),
                        "summary": summary,
                        "need_id": update["need_id"],
                        "update_id": update["id"],
                        "update_kind": kind,
                    },
                    link=f"/needs/{update['need_id']}#progress",
                    dedupe_key=key,
                    created_at=update["created_at"],
                    read_at=notice["read_at"],
                )
            )
    if made:
        await Notification.bulk_create(made, batch_size=500, using_db=client)


async def nothing_to_undo(apps, schema_editor):
    return None


class Migration(migrations.Migration):
    dependencies = [("models", "0018_alert_indexes")]

    initial = False

    operations = [
        ops.RunPython(notices_into_notifications, nothing_to_undo),
        ops.DeleteModel(name="UpdateNotice"),
    ]
