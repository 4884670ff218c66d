"""Money: recipient organisations, pledges, donations, receipts, idempotency (docs/domain.md §3.5–§3.6).

Money is integer fen in ``BigIntField`` columns ending ``_fen`` (docs/stack.md §4: DecimalField sums
are floats on SQLite). Money rows are never deleted: a pledge changes through events, a confirmed
donation is corrected by a reversing donation that references it, a receipt is voided (keeping its
number) and re-issued under a new number. The database constraints are the last line behind the
services: unique receipt serials per issuer and year, one reversal per donation, one live receipt
per donation, one idempotency record per (key, actor).
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

#: Who received the money, for the qualifying-channel test (docs/rules.md §1.1); the values are
#: those of ``fupin.money.rules.channels.RecipientKind``.
RECIPIENT_KINDS = ("government", "qualified_org", "other")


DONATION_KINDS = ("cash", "in_kind")
#: How an in-kind gift was valued (2020 No. 27 art. 13: fair value, with the donor's proof).
VALUATION_BASES = ("invoice", "market_price", "appraisal", "contract")


class RecipientOrg(Model):
    """A county-level-or-higher government body or a public-welfare organisation that receives
    money and issues receipts (docs/domain.md §3.6)."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=16, db_index=True)
    name = fields.CharField(max_length=128)
    # Issuer code printed in receipt numbers ``<code>-<year>-<serial>``: the USCC or a short code.
    code = fields.CharField(max_length=18, unique=True)
    uscc = fields.CharField(max_length=18, null=True, unique=True)
    # Government bodies: the province, prefecture or county they govern (they receive money for
    # needs there). Organisations: where they are registered (informational).
    region: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Region", related_name="recipient_orgs", null=True, on_delete=fields.RESTRICT
    )
    region_id: str | None
    # An organisation that is also a participant (its members record what it receives).
    participant: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Participant", related_name="recipient_orgs", null=True, on_delete=fields.RESTRICT
    )
    participant_id: int | None
    note = fields.TextField(default="")
    # Where donors transfer the money (issue 16 point 1): entered and changed by the recipient's
    # own officers (audited), shown to pledgers and offices only, never on public pages.
    bank_name = fields.CharField(max_length=64, default="")
    bank_account_name = fields.CharField(max_length=128, default="")
    bank_account_number = fields.CharField(max_length=34, default="")
    is_demo = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "recipient_org"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class RecipientQualification(Model):
    """One listing of an organisation's pre-tax deduction qualification (公告2020年第27号): valid
    for the years ``start_year..end_year`` inclusive, as published in ``list_reference``."""

    id = fields.IntField(primary_key=True)
    org: fields.ForeignKeyRelation[RecipientOrg] = fields.ForeignKeyField(
        "models.RecipientOrg", related_name="qualifications", on_delete=fields.RESTRICT
    )
    org_id: int
    start_year = fields.SmallIntField()
    end_year = fields.SmallIntField()
    list_reference = fields.CharField(max_length=255)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "recipient_qualification"
        ordering = ["start_year", "id"]
        indexes = (("org_id",),)


class Pledge(Model):
    """A participant's promise of an amount to one need (docs/domain.md §3.5). ``amount_fen`` is the
    current promise (amendments are PledgeEvents), ``paid_fen`` the confirmed donations against
    it, ``committed_fen`` what it contributes to ``Need.pledged_fen`` (the promise while active;
    what was actually paid once withdrawn or lapsed)."""

    id = fields.IntField(primary_key=True)
    need: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Need", related_name="pledges", on_delete=fields.RESTRICT
    )
    need_id: int
    participant: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Participant", related_name="pledges", on_delete=fields.RESTRICT
    )
    participant_id: int
    # The channel the money will go through (None: decided when it arrives).
    recipient: fields.ForeignKeyNullableRelation[RecipientOrg] = fields.ForeignKeyField(
        "models.RecipientOrg", related_name="pledges", null=True, on_delete=fields.RESTRICT
    )
    recipient_id: int | None
    # The cooperation pair that mobilised this pledge (attribution, docs/domain.md §3.3).
    pair: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Pair", related_name="pledges", null=True, on_delete=fields.RESTRICT
    )
    pair_id: int | None
    kind = fields.CharField(max_length=8, default="cash")
    amount_fen = fields.BigIntField()
    paid_fen = fields.BigIntField(default=0)
    committed_fen = fields.BigIntField(default=0)
    anonymous = fields.BooleanField(default=False)
    due_date = fields.DateField(db_index=True)
    state = fields.CharField(max_length=16, default="pledged", db_index=True)
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="pledges_made", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    closed_at = fields.DatetimeField(null=True)
    # The day the money that completed it was received (or the day an amendment brought the
    # promise down to what was paid): when it counts as honoured (money.rules.honour).
    honoured_on = fields.DateField(null=True)
    is_demo = fields.BooleanField(default=False)

    class Meta:
        table = "pledge"
        ordering = ["-id"]
        indexes = (
            ("participant_id", "state"),
            ("need_id", "state"),
            ("recipient_id", "state"),
            ("pair_id", "state"),
            # Open pledges past their due date: the lapse sweep, and the live part of the
            # dashboards' honour rates (everything else they read from the rollups), read
            # from the index alone.
            (
                "state",
                "due_date",
                "created_at",
                "need_id",
                "participant_id",
                "pair_id",
                "amount_fen",
                "paid_fen",
            ),
            # Covering index for the pair dashboard's sums over raw pledges (the region
            # dashboards read the money rollups instead).
            (
                "created_at",
                "need_id",
                "participant_id",
                "pair_id",
                "state",
                "due_date",
                "amount_fen",
                "paid_fen",
                "committed_fen",
            ),
        )


class PledgeEvent(Model):
    """One change of a pledge: made, amended, withdrawn, lapsed, paid, payment reversed. The
    history is kept here; the pledge row holds only the current figures."""

    id = fields.BigIntField(primary_key=True)
    pledge: fields.ForeignKeyRelation[Pledge] = fields.ForeignKeyField(
        "models.Pledge", related_name="events", on_delete=fields.RESTRICT
    )
    pledge_id: int
    action = fields.CharField(max_length=20)
    from_state = fields.CharField(max_length=16, default="")
    to_state = fields.CharField(max_length=16)
    amount_before_fen = fields.BigIntField(default=0)
    amount_after_fen = fields.BigIntField(default=0)
    paid_after_fen = fields.BigIntField(default=0)
    due_date = fields.DateField(null=True)
    # The instalment schedule after the event: [{"number", "due_date", "amount_fen"}].
    schedule = fields.JSONField(default=list)
    actor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="pledge_events", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    actor_label = fields.CharField(max_length=64, default="")
    reason = fields.TextField(default="")
    ledger_seq = fields.BigIntField(null=True)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "pledge_event"
        ordering = ["id"]
        indexes = (("pledge_id",),)


class Instalment(Model):
    """One part of a pledge's payment schedule: the amounts add up to the pledge amount."""

    id = fields.IntField(primary_key=True)
    pledge: fields.ForeignKeyRelation[Pledge] = fields.ForeignKeyField(
        "models.Pledge", related_name="instalments", on_delete=fields.RESTRICT
    )
    pledge_id: int
    number = fields.SmallIntField()
    due_date = fields.DateField(db_index=True)
    amount_fen = fields.BigIntField()

    class Meta:
        table = "pledge_instalment"
        ordering = ["pledge_id", "number"]
        unique_together = (("pledge", "number"),)


class Donation(Model):
    """Money (or valued goods) actually received by a recipient organisation (docs/domain.md §3.6).

    Recorded, then confirmed by the recipient; a confirmed donation is locked. A correction is a
    reversing donation: ``amount_fen`` negated, ``reverses`` pointing at the original (one per
    original, enforced by the unique one-to-one column).
    """

    id = fields.IntField(primary_key=True)
    need: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Need", related_name="donations", on_delete=fields.RESTRICT
    )
    need_id: int
    pledge: fields.ForeignKeyNullableRelation[Pledge] = fields.ForeignKeyField(
        "models.Pledge", related_name="donations", null=True, on_delete=fields.RESTRICT
    )
    pledge_id: int | None
    recipient: fields.ForeignKeyRelation[RecipientOrg] = fields.ForeignKeyField(
        "models.RecipientOrg", related_name="donations", on_delete=fields.RESTRICT
    )
    recipient_id: int
    donor: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Participant", related_name="donations", on_delete=fields.RESTRICT
    )
    donor_id: int
    anonymous = fields.BooleanField(default=False)
    kind = fields.CharField(max_length=8, default="cash")
    amount_fen = fields.BigIntField()
    valuation_basis = fields.CharField(max_length=16, default="")
    # What proves the fair value of an in-kind gift; empty means none (then no receipt).
    fair_value_evidence = fields.TextField(default="")
    # The day the money (or goods) actually arrived; may lie in an earlier year than today.
    received_on = fields.DateField(db_index=True)
    payment_reference = fields.CharField(max_length=64, default="")
    note = fields.TextField(default="")
    state = fields.CharField(max_length=12, default="recorded", db_index=True)
    reverses: fields.OneToOneNullableRelation[Donation] = fields.OneToOneField(
        "models.Donation", related_name="reversal", null=True, on_delete=fields.RESTRICT
    )
    reverses_id: int | None
    # Targeted poverty-alleviation donation (2019 No. 49), derived when recorded (docs/rules.md §1.2).
    targeted = fields.BooleanField(default=False, db_index=True)
    targeted_basis = fields.CharField(max_length=24, default="")
    channel_qualifies = fields.BooleanField(default=False)
    # The area named on the receipt (the need's place), required for full deduction.
    target_area_text = fields.CharField(max_length=255, default="")
    # The official 公益事业捐赠票据 once the recipient's finance system has issued it (docs/rules.md §3).
    official_receipt_code = fields.CharField(max_length=20, default="")
    official_receipt_number = fields.CharField(max_length=20, default="")
    official_check_code = fields.CharField(max_length=32, default="")
    official_entered_at = fields.DatetimeField(null=True)
    recorded_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="donations_recorded", null=True, on_delete=fields.SET_NULL
    )
    recorded_by_id: int | None
    recorded_at = fields.DatetimeField(auto_now_add=True)
    confirmed_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="donations_confirmed", null=True, on_delete=fields.SET_NULL
    )
    confirmed_by_id: int | None
    confirmed_at = fields.DatetimeField(null=True)
    ledger_seq = fields.BigIntField(null=True)
    is_demo = fields.BooleanField(default=False)
    # Entered by the national office's historical-records import: its received date may precede
    # the need's drafting or the pledge (docs/domain.md §3.6); said on the page and in the ledger entry.
    historical = fields.BooleanField(default=False)

    class Meta:
        table = "donation"
        ordering = ["-id"]
        indexes = (
            ("donor_id", "state"),
            ("recipient_id", "state"),
            ("need_id", "state"),
            ("pledge_id",),
            # Covering index for the pair dashboard's sums over raw donations (see Pledge).
            ("state", "received_on", "need_id", "amount_fen", "donor_id", "pledge_id"),
            # The supervision list of donations still without a receipt tests every column
            # here but the two unique probes (disclosure/service/alerts.py).
            ("state", "received_on", "kind", "reverses_id", "amount_fen", "need_id"),
        )


class DonationItem(Model):
    """An in-kind item of a donation: name, quantity, unit, unit value (receipt columns)."""

    id = fields.IntField(primary_key=True)
    donation: fields.ForeignKeyRelation[Donation] = fields.ForeignKeyField(
        "models.Donation", related_name="items", on_delete=fields.RESTRICT
    )
    donation_id: int
    name = fields.CharField(max_length=64)
    quantity = fields.IntField()
    unit = fields.CharField(max_length=16)
    unit_value_fen = fields.BigIntField()

    class Meta:
        table = "donation_item"
        ordering = ["id"]
        indexes = (("donation_id",),)


class ReceiptCounter(Model):
    """The last serial issued by one issuer in one year. Locked (FOR UPDATE) by every issue, so
    serials are gapless under concurrency; a rolled-back issue rolls its increment back too."""

    id = fields.IntField(primary_key=True)
    issuer: fields.ForeignKeyRelation[RecipientOrg] = fields.ForeignKeyField(
        "models.RecipientOrg", related_name="receipt_counters", on_delete=fields.RESTRICT
    )
    issuer_id: int
    year = fields.SmallIntField()
    last_serial = fields.BigIntField(default=0)

    class Meta:
        table = "receipt_counter"
        unique_together = (("issuer", "year"),)


class Receipt(Model):
    """One entry of a recipient's receipt register ``<issuer code>-<year>-<serial>``: the
    platform's acknowledgement, not the fiscal voucher (docs/rules.md §3). What it says is fixed when it
    is issued; voiding keeps the number and records why; a re-issue is a new receipt pointing to
    the voided one."""

    id = fields.IntField(primary_key=True)
    issuer: fields.ForeignKeyRelation[RecipientOrg] = fields.ForeignKeyField(
        "models.RecipientOrg", related_name="receipts", on_delete=fields.RESTRICT
    )
    issuer_id: int
    year = fields.SmallIntField()
    serial = fields.BigIntField()
    number = fields.CharField(max_length=40, unique=True)
    donation: fields.ForeignKeyRelation[Donation] = fields.ForeignKeyField(
        "models.Donation", related_name="receipts", on_delete=fields.RESTRICT
    )
    donation_id: int
    # Set while the receipt is live: at most one live receipt per donation (NULLs don't clash).
    live_for: fields.OneToOneNullableRelation[Donation] = fields.OneToOneField(
        "models.Donation", related_name="live_receipt", null=True, on_delete=fields.RESTRICT
    )
    live_for_id: int | None
    state = fields.CharField(max_length=8, default="issued", db_index=True)
    reissue_of: fields.OneToOneNullableRelation[Receipt] = fields.OneToOneField(
        "models.Receipt", related_name="reissued_as", null=True, on_delete=fields.RESTRICT
    )
    reissue_of_id: int | None
    # What is printed, fixed at issue (docs/rules.md §3 art. 6 fields).
    amount_fen = fields.BigIntField()
    payer_name = fields.CharField(max_length=128)
    payer_identifier = fields.CharField(max_length=20, default="")  # USCC or masked ID number
    project_code = fields.CharField(max_length=32)
    project_name = fields.CharField(max_length=160)
    area_text = fields.CharField(max_length=255, default="")
    items = fields.JSONField(default=list)
    remarks = fields.TextField(default="")
    issued_on = fields.DateField()
    issued_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="receipts_issued", null=True, on_delete=fields.SET_NULL
    )
    issued_by_id: int | None
    issued_by_label = fields.CharField(max_length=64, default="")
    issued_at = fields.DatetimeField(auto_now_add=True)
    void_reason = fields.TextField(default="")
    voided_at = fields.DatetimeField(null=True)
    voided_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="receipts_voided", null=True, on_delete=fields.SET_NULL
    )
    voided_by_id: int | None
    print_count = fields.IntField(default=0)
    last_printed_at = fields.DatetimeField(null=True)
    ledger_seq = fields.BigIntField(null=True)

    class Meta:
        table = "receipt"
        ordering = ["-id"]
        # The second: the supervision list of live receipts still without official numbers.
        indexes = (("donation_id",), ("state", "issued_on", "donation_id"))
        unique_together = (("issuer", "year", "serial"),)


class IdempotencyRecord(Model):
    """The first successful result of a request sent with an Idempotency-Key, per actor.

    The unique (key, actor_key) constraint decides which of several racing requests runs; the
    others wait for it and replay its stored status and body (docs/domain.md §3.5)."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=128)
    actor_key = fields.CharField(max_length=64)
    operation = fields.CharField(max_length=64)
    fingerprint = fields.CharField(max_length=64)
    status_code = fields.IntField(default=0)
    response_body = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "idempotency_record"
        unique_together = (("key", "actor_key"),)


class Measures(Model):
    """What every rollup row sums (``closed_*``: honoured or lapsed pledges, which are due
    whatever the date; open pledges past their due date are added live by the dashboards)."""

    pledges = fields.BigIntField(default=0)
    pledged_fen = fields.BigIntField(default=0)
    honoured = fields.BigIntField(default=0)
    # Withdrawn pledges: a pair's projects are the needs with a pledge not withdrawn.
    withdrawn = fields.BigIntField(default=0)
    closed_due = fields.BigIntField(default=0)
    closed_due_fen = fields.BigIntField(default=0)
    closed_paid_fen = fields.BigIntField(default=0)
    # Confirmed donation rows (reversals included): which needs a pair's money reached.
    donations = fields.BigIntField(default=0)
    received_fen = fields.BigIntField(default=0)

    class Meta:
        abstract = True


class NeedRollup(Measures):
    id = fields.BigIntField(primary_key=True)
    need_id = fields.IntField()
    month = fields.IntField()
    pair_id = fields.IntField()
    who = fields.IntField()
    region_id = fields.CharField(max_length=12)
    county_code = fields.CharField(max_length=12)
    province_code = fields.CharField(max_length=12)
    category = fields.CharField(max_length=20)

    class Meta:
        table = "rollup_need_money"
        unique_together = (("need_id", "month", "pair_id", "who"),)
        # a county's dashboard; a pair's page (the helper's own rows, the pair's rows)
        indexes = (("county_code", "month"), ("pair_id", "month"), ("who", "month"))


class CountyRollup(Measures):
    """National and province dashboards: by province or county and category."""

    id = fields.IntField(primary_key=True)
    year = fields.SmallIntField()
    county_code = fields.CharField(max_length=12)
    category = fields.CharField(max_length=20)
    province_code = fields.CharField(max_length=12)

    class Meta:
        table = "rollup_county_money"
        unique_together = (("year", "county_code", "category"),)


class VillageRollup(Measures):
    """Villages reached and concentration: money per village (needs of a whole county are not
    a village's and are left out)."""

    id = fields.IntField(primary_key=True)
    year = fields.SmallIntField()
    region_id = fields.CharField(max_length=12)
    county_code = fields.CharField(max_length=12)
    province_code = fields.CharField(max_length=12)

    class Meta:
        table = "rollup_village_money"
        unique_together = (("year", "region_id"),)


class PairRollup(Measures):
    """Pairs' own and mobilised money: only rows attributed to a pair or given by a helper."""

    id = fields.IntField(primary_key=True)
    year = fields.SmallIntField()
    pair_id = fields.IntField()
    who = fields.IntField()
    county_code = fields.CharField(max_length=12)
    province_code = fields.CharField(max_length=12)

    class Meta:
        table = "rollup_pair_money"
        unique_together = (("year", "pair_id", "who", "county_code"),)


class MonthRollup(Measures):
    """Money over time: per month and county."""

    id = fields.IntField(primary_key=True)
    month = fields.IntField()
    county_code = fields.CharField(max_length=12)
    province_code = fields.CharField(max_length=12)

    class Meta:
        table = "rollup_month_money"
        unique_together = (("month", "county_code"),)
