from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

# The dashboards' money rollups (fupin.money.models) and the indexes the dashboards read.
# The rollups are derived data: the last step fills them from the pledges and donations already
# recorded, with the same statements as `fupin rollups rebuild` (a migration that later changes
# their shape must rebuild them again).


# The statements `fupin rollups rebuild` ran when this migration was written, frozen here so the
# migration never depends on live code (a later change of the rollups ships its own migration).
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
              "CAST(p.committed_fen AS BIGINT) AS pledged_fen, CAST(CASE WHEN p.state = 'honoured' "
              "THEN 1 ELSE 0 END AS BIGINT) AS honoured, CAST(CASE WHEN p.state = 'withdrawn' THEN "
              "1 ELSE 0 END AS BIGINT) AS withdrawn, CAST(CASE WHEN p.state IN ('honoured', "
              "'lapsed') THEN 1 ELSE 0 END AS BIGINT) AS closed_due, CAST(CASE WHEN p.state IN "
              "('honoured', 'lapsed') THEN p.amount_fen ELSE 0 END AS BIGINT) AS closed_due_fen, "
              "CAST(CASE WHEN p.state IN ('honoured', 'lapsed') THEN p.paid_fen ELSE 0 END AS "
              'BIGINT) AS closed_paid_fen, CAST(0 AS BIGINT) AS donations, CAST(0 AS BIGINT) AS '
              'received_fen FROM pledge p JOIN participant pa ON pa.id = p.participant_id WHERE '
              "1=1 UNION ALL SELECT d.need_id, CAST(to_char(d.received_on, 'YYYYMM') AS INTEGER), "
              "COALESCE(pl.pair_id, 0), CASE WHEN pa.kind IN ('central_unit', 'democratic_party', "
              "'east_partner') THEN d.donor_id ELSE 0 END, CAST(0 AS BIGINT), CAST(0 AS BIGINT), "
              'CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 '
              'AS BIGINT), CAST(1 AS BIGINT), CAST(d.amount_fen AS BIGINT) FROM donation d JOIN '
              'participant pa ON pa.id = d.donor_id LEFT JOIN pledge pl ON pl.id = d.pledge_id '
              "WHERE d.state = 'confirmed' AND 1=1) x JOIN need n ON n.id = x.need_id GROUP BY "
              'x.need_id, x.month, x.pair_id, x.who, n.region_id, n.county_code, n.province_code, '
              'n.category',
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
            'AS BIGINT) AS pledges, CAST(p.committed_fen AS BIGINT) AS pledged_fen, CAST(CASE WHEN '
            "p.state = 'honoured' THEN 1 ELSE 0 END AS BIGINT) AS honoured, CAST(CASE WHEN p.state "
            "= 'withdrawn' THEN 1 ELSE 0 END AS BIGINT) AS withdrawn, CAST(CASE WHEN p.state IN "
            "('honoured', 'lapsed') THEN 1 ELSE 0 END AS BIGINT) AS closed_due, CAST(CASE WHEN "
            "p.state IN ('honoured', 'lapsed') THEN p.amount_fen ELSE 0 END AS BIGINT) AS "
            "closed_due_fen, CAST(CASE WHEN p.state IN ('honoured', 'lapsed') THEN p.paid_fen ELSE "
            '0 END AS BIGINT) AS closed_paid_fen, CAST(0 AS BIGINT) AS donations, CAST(0 AS '
            'BIGINT) AS received_fen FROM pledge p JOIN participant pa ON pa.id = p.participant_id '
            "WHERE 1=1 UNION ALL SELECT d.need_id, CAST(strftime('%Y%m', d.received_on) AS "
            "INTEGER), COALESCE(pl.pair_id, 0), CASE WHEN pa.kind IN ('central_unit', "
            "'democratic_party', 'east_partner') THEN d.donor_id ELSE 0 END, CAST(0 AS BIGINT), "
            'CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS '
            'BIGINT), CAST(0 AS BIGINT), CAST(1 AS BIGINT), CAST(d.amount_fen AS BIGINT) FROM '
            'donation d JOIN participant pa ON pa.id = d.donor_id LEFT JOIN pledge pl ON pl.id = '
            "d.pledge_id WHERE d.state = 'confirmed' AND 1=1) x JOIN need n ON n.id = x.need_id "
            'GROUP BY x.need_id, x.month, x.pair_id, x.who, n.region_id, n.county_code, '
            'n.province_code, n.category',
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


async def fill_rollups(apps, schema_editor):
    client = schema_editor.client
    dialect = "postgres" if str(client.capabilities.dialect) == "postgres" else "sqlite"
    for statement in REBUILD_SQL[dialect]:
        await client.execute_script(statement)


async def empty_rollups(apps, schema_editor):
    return None

class Migration(migrations.Migration):
    dependencies = [('models', '0002_objection_sender')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CountyRollup',
            fields=[
                ('pledges', fields.BigIntField(default=0)),
                ('pledged_fen', fields.BigIntField(default=0)),
                ('honoured', fields.BigIntField(default=0)),
                ('withdrawn', fields.BigIntField(default=0)),
                ('closed_due', fields.BigIntField(default=0)),
                ('closed_due_fen', fields.BigIntField(default=0)),
                ('closed_paid_fen', fields.BigIntField(default=0)),
                ('donations', fields.BigIntField(default=0)),
                ('received_fen', fields.BigIntField(default=0)),
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('year', fields.SmallIntField()),
                ('county_code', fields.CharField(max_length=12)),
                ('category', fields.CharField(max_length=20)),
                ('province_code', fields.CharField(max_length=12)),
            ],
            options={'table': 'rollup_county_money', 'app': 'models', 'unique_together': (('year', 'county_code', 'category'),), 'pk_attr': 'id', 'table_description': 'National and province dashboards: by province or county and category.'},
            bases=['Measures'],
        ),
        ops.CreateModel(
            name='MonthRollup',
            fields=[
                ('pledges', fields.BigIntField(default=0)),
                ('pledged_fen', fields.BigIntField(default=0)),
                ('honoured', fields.BigIntField(default=0)),
                ('withdrawn', fields.BigIntField(default=0)),
                ('closed_due', fields.BigIntField(default=0)),
                ('closed_due_fen', fields.BigIntField(default=0)),
                ('closed_paid_fen', fields.BigIntField(default=0)),
                ('donations', fields.BigIntField(default=0)),
                ('received_fen', fields.BigIntField(default=0)),
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('month', fields.IntField()),
                ('county_code', fields.CharField(max_length=12)),
                ('province_code', fields.CharField(max_length=12)),
            ],
            options={'table': 'rollup_month_money', 'app': 'models', 'unique_together': (('month', 'county_code'),), 'pk_attr': 'id', 'table_description': 'Money over time: per month and county.'},
            bases=['Measures'],
        ),
        ops.CreateModel(
            name='NeedRollup',
            fields=[
                ('pledges', fields.BigIntField(default=0)),
                ('pledged_fen', fields.BigIntField(default=0)),
                ('honoured', fields.BigIntField(default=0)),
                ('withdrawn', fields.BigIntField(default=0)),
                ('closed_due', fields.BigIntField(default=0)),
                ('closed_due_fen', fields.BigIntField(default=0)),
                ('closed_paid_fen', fields.BigIntField(default=0)),
                ('donations', fields.BigIntField(default=0)),
                ('received_fen', fields.BigIntField(default=0)),
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('need_id', fields.IntField()),
                ('month', fields.IntField()),
                ('pair_id', fields.IntField()),
                ('who', fields.IntField()),
                ('region_id', fields.CharField(max_length=12)),
                ('county_code', fields.CharField(max_length=12)),
                ('province_code', fields.CharField(max_length=12)),
                ('category', fields.CharField(max_length=20)),
            ],
            options={'table': 'rollup_need_money', 'app': 'models', 'unique_together': (('need_id', 'month', 'pair_id', 'who'),), 'indexes': [Index(fields=['county_code', 'month']), Index(fields=['pair_id', 'month']), Index(fields=['who', 'month'])], 'pk_attr': 'id'},
            bases=['Measures'],
        ),
        ops.CreateModel(
            name='PairRollup',
            fields=[
                ('pledges', fields.BigIntField(default=0)),
                ('pledged_fen', fields.BigIntField(default=0)),
                ('honoured', fields.BigIntField(default=0)),
                ('withdrawn', fields.BigIntField(default=0)),
                ('closed_due', fields.BigIntField(default=0)),
                ('closed_due_fen', fields.BigIntField(default=0)),
                ('closed_paid_fen', fields.BigIntField(default=0)),
                ('donations', fields.BigIntField(default=0)),
                ('received_fen', fields.BigIntField(default=0)),
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('year', fields.SmallIntField()),
                ('pair_id', fields.IntField()),
                ('who', fields.IntField()),
                ('county_code', fields.CharField(max_length=12)),
                ('province_code', fields.CharField(max_length=12)),
            ],
            options={'table': 'rollup_pair_money', 'app': 'models', 'unique_together': (('year', 'pair_id', 'who', 'county_code'),), 'pk_attr': 'id', 'table_description': "Pairs' own and mobilised money: only rows attributed to a pair or given by a helper."},
            bases=['Measures'],
        ),
        ops.CreateModel(
            name='VillageRollup',
            fields=[
                ('pledges', fields.BigIntField(default=0)),
                ('pledged_fen', fields.BigIntField(default=0)),
                ('honoured', fields.BigIntField(default=0)),
                ('withdrawn', fields.BigIntField(default=0)),
                ('closed_due', fields.BigIntField(default=0)),
                ('closed_due_fen', fields.BigIntField(default=0)),
                ('closed_paid_fen', fields.BigIntField(default=0)),
                ('donations', fields.BigIntField(default=0)),
                ('received_fen', fields.BigIntField(default=0)),
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('year', fields.SmallIntField()),
                ('region_id', fields.CharField(max_length=12)),
                ('county_code', fields.CharField(max_length=12)),
                ('province_code', fields.CharField(max_length=12)),
            ],
            options={'table': 'rollup_village_money', 'app': 'models', 'unique_together': (('year', 'region_id'),), 'pk_attr': 'id', 'table_description': 'Villages reached and concentration: money per village (needs of a whole county are not'},
            bases=['Measures'],
        ),
        ops.AddIndex(
            model_name='Need',
            index=Index(fields=['published_at', 'state', 'province_code', 'county_code', 'region_id', 'category', 'target_fen']),
        ),
        ops.AddIndex(
            model_name='Need',
            index=Index(fields=['region_id', 'state', 'published_at']),
        ),
        ops.AddIndex(
            model_name='Pledge',
            index=Index(fields=['state', 'due_date', 'created_at', 'need_id', 'participant_id', 'pair_id', 'amount_fen', 'paid_fen']),
        ),
        ops.RunPython(fill_rollups, empty_rollups),
    ]
