from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# One honour-rate definition (money.rules.honour): a pledge counts in a period on the day it was
# settled — honoured (Pledge.honoured_on, new here), else its due date. Existing honoured pledges
# get the day their last confirmed payment was received; the rollups, derived data, are rebuilt
# with their honour figures in the settled month, using the statements `fupin rollups rebuild`
# ran when this migration was written, frozen here so it never depends on live code.

BACKFILL_SQL = (
    "UPDATE pledge SET honoured_on = (SELECT MAX(d.received_on) FROM donation d "
    "WHERE d.pledge_id = pledge.id AND d.state = 'confirmed' AND d.reverses_id IS NULL) "
    "WHERE state = 'honoured'"
)

REBUILD_SQL = {'postgres': ['DELETE FROM rollup_need_money',
              'DELETE FROM rollup_county_money',
              'DELETE FROM rollup_village_money',
              'DELETE FROM rollup_pair_money',
              'DELETE FROM rollup_month_money',
              'INSERT INTO rollup_need_money (need_id, month, pair_id, who, region_id, '
              'county_code, province_code, category, pledges, pledged_fen, honoured, withdrawn, '
              'closed_due, closed_due_fen, closed_paid_fen, donations, received_fen) SELECT '
              'x.need_id, x.month, x.pair_id, x.who, n.region_id, n.county_code, n.province_code, '
              'n.category, CAST(SUM(x.pledges) AS BIGINT) AS pledges, CAST(SUM(x.pledged_fen) AS '
              'BIGINT) AS pledged_fen, CAST(SUM(x.honoured) AS BIGINT) AS honoured, '
              'CAST(SUM(x.withdrawn) AS BIGINT) AS withdrawn, CAST(SUM(x.closed_due) AS BIGINT) AS '
              'closed_due, CAST(SUM(x.closed_due_fen) AS BIGINT) AS closed_due_fen, '
              'CAST(SUM(x.closed_paid_fen) AS BIGINT) AS closed_paid_fen, CAST(SUM(x.donations) AS '
              'BIGINT) AS donations, CAST(SUM(x.received_fen) AS BIGINT) AS received_fen FROM '
              "(SELECT p.need_id AS need_id, CAST(to_char((p.created_at AT TIME ZONE 'UTC') + "
              "INTERVAL '8 hours', 'YYYYMM') AS INTEGER) AS month, COALESCE(p.pair_id, 0) AS "
              "pair_id, CASE WHEN pa.kind IN ('central_unit', 'democratic_party', 'east_partner') "
              'THEN p.participant_id ELSE 0 END AS who, CAST(1 AS BIGINT) AS pledges, '
              'CAST(p.committed_fen AS BIGINT) AS pledged_fen, CAST(0 AS BIGINT) AS honoured, '
              "CAST(CASE WHEN p.state = 'withdrawn' THEN 1 ELSE 0 END AS BIGINT) AS withdrawn, "
              'CAST(0 AS BIGINT) AS closed_due, CAST(0 AS BIGINT) AS closed_due_fen, CAST(0 AS '
              'BIGINT) AS closed_paid_fen, CAST(0 AS BIGINT) AS donations, CAST(0 AS BIGINT) AS '
              'received_fen FROM pledge p JOIN participant pa ON pa.id = p.participant_id WHERE '
              "1=1 UNION ALL SELECT p.need_id, CASE WHEN p.state = 'honoured' AND p.honoured_on IS "
              "NOT NULL THEN CAST(to_char(p.honoured_on, 'YYYYMM') AS INTEGER) ELSE "
              "CAST(to_char(p.due_date, 'YYYYMM') AS INTEGER) END, COALESCE(p.pair_id, 0), CASE "
              "WHEN pa.kind IN ('central_unit', 'democratic_party', 'east_partner') THEN "
              'p.participant_id ELSE 0 END, CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(CASE WHEN '
              "p.state = 'honoured' THEN 1 ELSE 0 END AS BIGINT), CAST(0 AS BIGINT), CAST(1 AS "
              'BIGINT), CAST(p.amount_fen AS BIGINT), CAST(p.paid_fen AS BIGINT), CAST(0 AS '
              'BIGINT), CAST(0 AS BIGINT) FROM pledge p JOIN participant pa ON pa.id = '
              "p.participant_id WHERE p.state IN ('honoured', 'lapsed') AND 1=1 UNION ALL SELECT "
              "d.need_id, CAST(to_char(d.received_on, 'YYYYMM') AS INTEGER), COALESCE(pl.pair_id, "
              "0), CASE WHEN pa.kind IN ('central_unit', 'democratic_party', 'east_partner') THEN "
              'd.donor_id ELSE 0 END, CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), '
              'CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(1 '
              'AS BIGINT), CAST(d.amount_fen AS BIGINT) FROM donation d JOIN participant pa ON '
              'pa.id = d.donor_id LEFT JOIN pledge pl ON pl.id = d.pledge_id WHERE d.state = '
              "'confirmed' AND 1=1) x JOIN need n ON n.id = x.need_id GROUP BY x.need_id, x.month, "
              'x.pair_id, x.who, n.region_id, n.county_code, n.province_code, n.category',
              'INSERT INTO rollup_county_money (year, county_code, category, province_code, '
              'pledges, pledged_fen, honoured, withdrawn, closed_due, closed_due_fen, '
              'closed_paid_fen, donations, received_fen) SELECT month / 100, county_code, '
              'category, MAX(province_code), CAST(SUM(pledges) AS BIGINT) AS pledges, '
              'CAST(SUM(pledged_fen) AS BIGINT) AS pledged_fen, CAST(SUM(honoured) AS BIGINT) AS '
              'honoured, CAST(SUM(withdrawn) AS BIGINT) AS withdrawn, CAST(SUM(closed_due) AS '
              'BIGINT) AS closed_due, CAST(SUM(closed_due_fen) AS BIGINT) AS closed_due_fen, '
              'CAST(SUM(closed_paid_fen) AS BIGINT) AS closed_paid_fen, CAST(SUM(donations) AS '
              'BIGINT) AS donations, CAST(SUM(received_fen) AS BIGINT) AS received_fen FROM '
              'rollup_need_money WHERE 1=1 GROUP BY month / 100, county_code, category',
              'INSERT INTO rollup_village_money (year, region_id, county_code, province_code, '
              'pledges, pledged_fen, honoured, withdrawn, closed_due, closed_due_fen, '
              'closed_paid_fen, donations, received_fen) SELECT month / 100, region_id, '
              'MAX(county_code), MAX(province_code), CAST(SUM(pledges) AS BIGINT) AS pledges, '
              'CAST(SUM(pledged_fen) AS BIGINT) AS pledged_fen, CAST(SUM(honoured) AS BIGINT) AS '
              'honoured, CAST(SUM(withdrawn) AS BIGINT) AS withdrawn, CAST(SUM(closed_due) AS '
              'BIGINT) AS closed_due, CAST(SUM(closed_due_fen) AS BIGINT) AS closed_due_fen, '
              'CAST(SUM(closed_paid_fen) AS BIGINT) AS closed_paid_fen, CAST(SUM(donations) AS '
              'BIGINT) AS donations, CAST(SUM(received_fen) AS BIGINT) AS received_fen FROM '
              'rollup_need_money WHERE region_id <> county_code GROUP BY month / 100, region_id',
              'INSERT INTO rollup_pair_money (year, pair_id, who, county_code, province_code, '
              'pledges, pledged_fen, honoured, withdrawn, closed_due, closed_due_fen, '
              'closed_paid_fen, donations, received_fen) SELECT month / 100, pair_id, who, '
              'county_code, MAX(province_code), CAST(SUM(pledges) AS BIGINT) AS pledges, '
              'CAST(SUM(pledged_fen) AS BIGINT) AS pledged_fen, CAST(SUM(honoured) AS BIGINT) AS '
              'honoured, CAST(SUM(withdrawn) AS BIGINT) AS withdrawn, CAST(SUM(closed_due) AS '
              'BIGINT) AS closed_due, CAST(SUM(closed_due_fen) AS BIGINT) AS closed_due_fen, '
              'CAST(SUM(closed_paid_fen) AS BIGINT) AS closed_paid_fen, CAST(SUM(donations) AS '
              'BIGINT) AS donations, CAST(SUM(received_fen) AS BIGINT) AS received_fen FROM '
              'rollup_need_money WHERE (pair_id <> 0 OR who <> 0) GROUP BY month / 100, pair_id, '
              'who, county_code',
              'INSERT INTO rollup_month_money (month, county_code, province_code, pledges, '
              'pledged_fen, honoured, withdrawn, closed_due, closed_due_fen, closed_paid_fen, '
              'donations, received_fen) SELECT month, county_code, MAX(province_code), '
              'CAST(SUM(pledges) AS BIGINT) AS pledges, CAST(SUM(pledged_fen) AS BIGINT) AS '
              'pledged_fen, CAST(SUM(honoured) AS BIGINT) AS honoured, CAST(SUM(withdrawn) AS '
              'BIGINT) AS withdrawn, CAST(SUM(closed_due) AS BIGINT) AS closed_due, '
              'CAST(SUM(closed_due_fen) AS BIGINT) AS closed_due_fen, CAST(SUM(closed_paid_fen) AS '
              'BIGINT) AS closed_paid_fen, CAST(SUM(donations) AS BIGINT) AS donations, '
              'CAST(SUM(received_fen) AS BIGINT) AS received_fen FROM rollup_need_money WHERE 1=1 '
              'GROUP BY month, county_code'],
 'sqlite': ['DELETE FROM rollup_need_money',
            'DELETE FROM rollup_county_money',
            'DELETE FROM rollup_village_money',
            'DELETE FROM rollup_pair_money',
            'DELETE FROM rollup_month_money',
            'INSERT INTO rollup_need_money (need_id, month, pair_id, who, region_id, county_code, '
            'province_code, category, pledges, pledged_fen, honoured, withdrawn, closed_due, '
            'closed_due_fen, closed_paid_fen, donations, received_fen) SELECT x.need_id, x.month, '
            'x.pair_id, x.who, n.region_id, n.county_code, n.province_code, n.category, '
            'CAST(SUM(x.pledges) AS BIGINT) AS pledges, CAST(SUM(x.pledged_fen) AS BIGINT) AS '
            'pledged_fen, CAST(SUM(x.honoured) AS BIGINT) AS honoured, CAST(SUM(x.withdrawn) AS '
            'BIGINT) AS withdrawn, CAST(SUM(x.closed_due) AS BIGINT) AS closed_due, '
            'CAST(SUM(x.closed_due_fen) AS BIGINT) AS closed_due_fen, CAST(SUM(x.closed_paid_fen) '
            'AS BIGINT) AS closed_paid_fen, CAST(SUM(x.donations) AS BIGINT) AS donations, '
            'CAST(SUM(x.received_fen) AS BIGINT) AS received_fen FROM (SELECT p.need_id AS '
            "need_id, CAST(strftime('%Y%m', substr(p.created_at, 1, 19), '+8 hours') AS INTEGER) "
            "AS month, COALESCE(p.pair_id, 0) AS pair_id, CASE WHEN pa.kind IN ('central_unit', "
            "'democratic_party', 'east_partner') THEN p.participant_id ELSE 0 END AS who, CAST(1 "
            'AS BIGINT) AS pledges, CAST(p.committed_fen AS BIGINT) AS pledged_fen, CAST(0 AS '
            "BIGINT) AS honoured, CAST(CASE WHEN p.state = 'withdrawn' THEN 1 ELSE 0 END AS "
            'BIGINT) AS withdrawn, CAST(0 AS BIGINT) AS closed_due, CAST(0 AS BIGINT) AS '
            'closed_due_fen, CAST(0 AS BIGINT) AS closed_paid_fen, CAST(0 AS BIGINT) AS donations, '
            'CAST(0 AS BIGINT) AS received_fen FROM pledge p JOIN participant pa ON pa.id = '
            "p.participant_id WHERE 1=1 UNION ALL SELECT p.need_id, CASE WHEN p.state = 'honoured' "
            "AND p.honoured_on IS NOT NULL THEN CAST(strftime('%Y%m', p.honoured_on) AS INTEGER) "
            "ELSE CAST(strftime('%Y%m', p.due_date) AS INTEGER) END, COALESCE(p.pair_id, 0), CASE "
            "WHEN pa.kind IN ('central_unit', 'democratic_party', 'east_partner') THEN "
            'p.participant_id ELSE 0 END, CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(CASE WHEN '
            "p.state = 'honoured' THEN 1 ELSE 0 END AS BIGINT), CAST(0 AS BIGINT), CAST(1 AS "
            'BIGINT), CAST(p.amount_fen AS BIGINT), CAST(p.paid_fen AS BIGINT), CAST(0 AS BIGINT), '
            'CAST(0 AS BIGINT) FROM pledge p JOIN participant pa ON pa.id = p.participant_id WHERE '
            "p.state IN ('honoured', 'lapsed') AND 1=1 UNION ALL SELECT d.need_id, "
            "CAST(strftime('%Y%m', d.received_on) AS INTEGER), COALESCE(pl.pair_id, 0), CASE WHEN "
            "pa.kind IN ('central_unit', 'democratic_party', 'east_partner') THEN d.donor_id ELSE "
            '0 END, CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), '
            'CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(1 AS BIGINT), '
            'CAST(d.amount_fen AS BIGINT) FROM donation d JOIN participant pa ON pa.id = '
            "d.donor_id LEFT JOIN pledge pl ON pl.id = d.pledge_id WHERE d.state = 'confirmed' AND "
            '1=1) x JOIN need n ON n.id = x.need_id GROUP BY x.need_id, x.month, x.pair_id, x.who, '
            'n.region_id, n.county_code, n.province_code, n.category',
            'INSERT INTO rollup_county_money (year, county_code, category, province_code, pledges, '
            'pledged_fen, honoured, withdrawn, closed_due, closed_due_fen, closed_paid_fen, '
            'donations, received_fen) SELECT month / 100, county_code, category, '
            'MAX(province_code), CAST(SUM(pledges) AS BIGINT) AS pledges, CAST(SUM(pledged_fen) AS '
            'BIGINT) AS pledged_fen, CAST(SUM(honoured) AS BIGINT) AS honoured, '
            'CAST(SUM(withdrawn) AS BIGINT) AS withdrawn, CAST(SUM(closed_due) AS BIGINT) AS '
            'closed_due, CAST(SUM(closed_due_fen) AS BIGINT) AS closed_due_fen, '
            'CAST(SUM(closed_paid_fen) AS BIGINT) AS closed_paid_fen, CAST(SUM(donations) AS '
            'BIGINT) AS donations, CAST(SUM(received_fen) AS BIGINT) AS received_fen FROM '
            'rollup_need_money WHERE 1=1 GROUP BY month / 100, county_code, category',
            'INSERT INTO rollup_village_money (year, region_id, county_code, province_code, '
            'pledges, pledged_fen, honoured, withdrawn, closed_due, closed_due_fen, '
            'closed_paid_fen, donations, received_fen) SELECT month / 100, region_id, '
            'MAX(county_code), MAX(province_code), CAST(SUM(pledges) AS BIGINT) AS pledges, '
            'CAST(SUM(pledged_fen) AS BIGINT) AS pledged_fen, CAST(SUM(honoured) AS BIGINT) AS '
            'honoured, CAST(SUM(withdrawn) AS BIGINT) AS withdrawn, CAST(SUM(closed_due) AS '
            'BIGINT) AS closed_due, CAST(SUM(closed_due_fen) AS BIGINT) AS closed_due_fen, '
            'CAST(SUM(closed_paid_fen) AS BIGINT) AS closed_paid_fen, CAST(SUM(donations) AS '
            'BIGINT) AS donations, CAST(SUM(received_fen) AS BIGINT) AS received_fen FROM '
            'rollup_need_money WHERE region_id <> county_code GROUP BY month / 100, region_id',
            'INSERT INTO rollup_pair_money (year, pair_id, who, county_code, province_code, '
            'pledges, pledged_fen, honoured, withdrawn, closed_due, closed_due_fen, '
            'closed_paid_fen, donations, received_fen) SELECT month / 100, pair_id, who, '
            'county_code, MAX(province_code), CAST(SUM(pledges) AS BIGINT) AS pledges, '
            'CAST(SUM(pledged_fen) AS BIGINT) AS pledged_fen, CAST(SUM(honoured) AS BIGINT) AS '
            'honoured, CAST(SUM(withdrawn) AS BIGINT) AS withdrawn, CAST(SUM(closed_due) AS '
            'BIGINT) AS closed_due, CAST(SUM(closed_due_fen) AS BIGINT) AS closed_due_fen, '
            'CAST(SUM(closed_paid_fen) AS BIGINT) AS closed_paid_fen, CAST(SUM(donations) AS '
            'BIGINT) AS donations, CAST(SUM(received_fen) AS BIGINT) AS received_fen FROM '
            'rollup_need_money WHERE (pair_id <> 0 OR who <> 0) GROUP BY month / 100, pair_id, '
            'who, county_code',
            'INSERT INTO rollup_month_money (month, county_code, province_code, pledges, '
            'pledged_fen, honoured, withdrawn, closed_due, closed_due_fen, closed_paid_fen, '
            'donations, received_fen) SELECT month, county_code, MAX(province_code), '
            'CAST(SUM(pledges) AS BIGINT) AS pledges, CAST(SUM(pledged_fen) AS BIGINT) AS '
            'pledged_fen, CAST(SUM(honoured) AS BIGINT) AS honoured, CAST(SUM(withdrawn) AS '
            'BIGINT) AS withdrawn, CAST(SUM(closed_due) AS BIGINT) AS closed_due, '
            'CAST(SUM(closed_due_fen) AS BIGINT) AS closed_due_fen, CAST(SUM(closed_paid_fen) AS '
            'BIGINT) AS closed_paid_fen, CAST(SUM(donations) AS BIGINT) AS donations, '
            'CAST(SUM(received_fen) AS BIGINT) AS received_fen FROM rollup_need_money WHERE 1=1 '
            'GROUP BY month, county_code']}


async def backfill_and_rebuild(apps, schema_editor):
    client = schema_editor.client
    dialect = "postgres" if str(client.capabilities.dialect) == "postgres" else "sqlite"
    await client.execute_script(BACKFILL_SQL)
    for statement in REBUILD_SQL[dialect]:
        await client.execute_script(statement)


async def nothing_to_undo(apps, schema_editor):
    return None


class Migration(migrations.Migration):
    dependencies = [('models', '0003_money_rollups')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Pledge',
            name='honoured_on',
            field=fields.DateField(null=True),
        ),
        ops.RunPython(backfill_and_rebuild, nothing_to_undo),
    ]
