"""Who may do what, where: the one place every permission decision is made (docs/domain.md §5).

A rule is role × action × scope. Handlers and services never compare roles themselves; they
build an ``Actor`` from the logged-in user and a ``Scope`` from the target and call ``require``.
Pure: no database, no HTTP, so the whole matrix is tested table-driven.

Scope kinds:
    any          anywhere (national office, auditors' read actions)
    province     the target lies in the actor's province
    county       the target lies in the actor's county
    village      the target is the actor's village
    participant  the target belongs to the participant the actor acts for
    region       the target lies in the actor's own region: its county when it is assigned to a
                 county, else its province (the supervisor, 扶贫监督员, of either)
"""

from __future__ import annotations

from dataclasses import dataclass

from fupin.errors import NotAuthenticated, PermissionDenied
from fupin.i18n import _

ANY, PROVINCE, COUNTY, VILLAGE, PARTICIPANT = "any", "province", "county", "village", "participant"
REGION = "region"

_OFFICE_READ = {"national_admin": ANY, "auditor": ANY, "province_office": PROVINCE}

#: action -> {role: scope kind}. A role that is not listed may not do the action at all.
RULES: dict[str, dict[str, str]] = {
    # --- administration
    "admin.access": {"national_admin": ANY, "province_office": PROVINCE, "county_officer": COUNTY},
    "participant.create": {"national_admin": ANY, "province_office": ANY},
    "participant.edit": {"national_admin": ANY, "participant_member": PARTICIPANT},
    # An individual's masked ID number (given only for receipts): the participant itself, the
    # national office, and the office of the province it is registered in — never another's.
    "participant.view_identity": {
        "national_admin": ANY,
        "province_office": PROVINCE,
        "participant_member": PARTICIPANT,
    },
    # Consent to be recommended and named in a commendation notice is the participant's own:
    # no office gives or withdraws it for them (docs/rules.md §5.4).
    "participant.consent": {"participant_member": PARTICIPANT},
    "user.create": {"national_admin": ANY, "province_office": PROVINCE, "county_officer": COUNTY},
    # Reset (issue a set-password link), deactivate, reactivate, sign out everywhere; only roles
    # below the office's own (accounts.rules.CREATABLE_ROLES), never itself.
    "user.manage": {"national_admin": ANY, "province_office": PROVINCE, "county_officer": COUNTY},
    "audit.read": dict(_OFFICE_READ),
    # The village registry lags: a county's officers add, rename and merge their own villages
    # and keep the poor-village flag; the offices above read the changes (regions.service).
    "region.edit": {"county_officer": COUNTY},
    "region.changes.view": dict(_OFFICE_READ),
    "pair.manage": {"national_admin": ANY, "province_office": PROVINCE},
    # --- needs: the lifecycle table in need_states names which of these each
    # transition needs. Village workers act in their village, county officers in their county.
    "need.draft": {"village_worker": VILLAGE, "county_officer": COUNTY},
    "need.edit": {"village_worker": VILLAGE, "county_officer": COUNTY},
    "need.submit": {"village_worker": VILLAGE, "county_officer": COUNTY},
    # Reviewing (return with a reason, edit while reviewing) and publishing: the county office
    # only (docs/domain.md §3.4: "public only once a county officer has published it").
    "need.review": {"county_officer": COUNTY},
    "need.publish": {"county_officer": COUNTY},
    "need.import": {"county_officer": COUNTY},
    "need.view_private": {
        **_OFFICE_READ,
        "county_officer": COUNTY,
        "village_worker": VILLAGE,
    },
    "need.attach": {"village_worker": VILLAGE, "county_officer": COUNTY},
    # Implementation and delivery are recorded by the county; the village side confirms
    # receipt (separation of duties: the one who delivers does not confirm).
    "need.start": {"county_officer": COUNTY},
    "need.deliver": {"county_officer": COUNTY},
    "need.confirm_receipt": {"village_worker": VILLAGE},
    # Closing without the village worker's click: needs a signed receipt scan or a county-wide
    # need (no village side); the domain checks which.
    "need.close": {"county_officer": COUNTY},
    "need.dispute": {"village_worker": VILLAGE, "county_officer": COUNTY},
    # Before publication the drafting side may withdraw; after it, only the county (or the
    # national office, e.g. taking down an improper need).
    "need.withdraw": {"village_worker": VILLAGE, "county_officer": COUNTY, "national_admin": ANY},
    "need.withdraw_published": {"county_officer": COUNTY, "national_admin": ANY},
    # A later deadline (with a reason): pledges may then be due later (money.rules.caps).
    "need.extend_deadline": {"county_officer": COUNTY},
    # --- money. Pledges: the donor's members (scope = the pledging participant);
    # the offices over the need's place read them. Donations and receipts are written by the
    # RECIPIENT's officers: the county officers of the county a government body governs
    # (scope = its county), or the members of a public-welfare organisation that is itself a
    # participant (scope = that participant). donation.view is also checked with the donor as
    # the participant, so the donor's members read their own donations and receipts.
    "pledge.create": {"participant_member": PARTICIPANT},
    "pledge.change": {"participant_member": PARTICIPANT},
    # The county of the need frees a pledge that blocks it (money.rules.caps; a reason, audited).
    "pledge.release": {"county_officer": COUNTY},
    "pledge.view": {**_OFFICE_READ, "participant_member": PARTICIPANT, "county_officer": COUNTY},
    "donation.record": {"county_officer": COUNTY, "participant_member": PARTICIPANT},
    # Entering money received before its need or pledge existed on the platform (paper records
    # of earlier years): the national office only, marked on the record and in the ledger.
    "donation.import_historical": {"national_admin": ANY},
    "donation.confirm": {"county_officer": COUNTY, "participant_member": PARTICIPANT},
    "donation.reverse": {"county_officer": COUNTY, "participant_member": PARTICIPANT},
    "donation.view": {**_OFFICE_READ, "participant_member": PARTICIPANT, "county_officer": COUNTY},
    "receipt.issue": {"county_officer": COUNTY, "participant_member": PARTICIPANT},
    "receipt.void": {"county_officer": COUNTY, "participant_member": PARTICIPANT},
    # Printing counts copies (the second is a 副本), so it is an act, not a read: the
    # recipient's officers (scope = the recipient) and the donor's members (scope = the donor)
    # only; offices and auditors read a receipt without printing it.
    "receipt.print": {"county_officer": COUNTY, "participant_member": PARTICIPANT},
    "recipient.manage": {"national_admin": ANY, "province_office": PROVINCE},
    # The account donors transfer to: the recipient's own officers (scope = the recipient), who
    # know it and answer for it; audited, shown to pledgers and offices only.
    "recipient.bank_account": {"county_officer": COUNTY, "participant_member": PARTICIPANT},
    # --- tax and commendation: a donor sees only its own papers
    "tax.view": {"participant_member": PARTICIPANT, "auditor": ANY},
    # The national office runs rounds; it and auditors see rankings, evidence packs and the
    # objectors' names. The public needs no role: published lists (notice, final) and
    # objections during the notice are gated by the round's state (commendation/service.py).
    "commendation.manage": {"national_admin": ANY},
    "commendation.view_private": {"national_admin": ANY, "auditor": ANY},
    # --- pairs and dashboards
    # A provincial office sees its province, a county office its county; only the national
    # office (and auditors) see the national dashboard and every province.
    "dashboard.view": {**_OFFICE_READ, "county_officer": COUNTY},
    "dashboard.national": {"national_admin": ANY, "auditor": ANY},
    "pair.targets.edit": {"national_admin": ANY, "province_office": PROVINCE},
    "pair.report": {**_OFFICE_READ, "participant_member": PARTICIPANT},
    # --- matching
    "recommendations.view": {"participant_member": PARTICIPANT},
    "likely_donors.view": {
        "national_admin": ANY,
        "province_office": PROVINCE,
        "county_officer": COUNTY,
    },
    "invitation.send": {
        "national_admin": ANY,
        "province_office": PROVINCE,
        "county_officer": COUNTY,
    },
    "inbox.view": {"participant_member": PARTICIPANT},
    # --- disclosure and supervision (docs/domain.md §3.10). "Whoever allocates or uses the money
    # discloses" (docs/rules.md §7): the county office publishes the notices of its county.
    "disclosure.publish": {"county_officer": COUNTY},
    # Complaints: each is handled by one office (its county's, or the province's when it is
    # about the county's handling, or the next level up once overdue); the service checks that
    # the acting office is that one. Only that office sees the complainant's contact.
    "complaint.handle": {
        "national_admin": ANY,
        "province_office": PROVINCE,
        "county_officer": COUNTY,
    },
    # Reading complaints (never the complainant's contact): the offices over the place,
    # auditors and the supervisors of the region.
    "complaint.view": {**_OFFICE_READ, "county_officer": COUNTY, "supervisor": REGION},
    # Supervision alerts and their lists: the same readers.
    "supervision.view": {**_OFFICE_READ, "county_officer": COUNTY, "supervisor": REGION},
    # A supervisor's observation enters the complaint flow (routed like a public complaint).
    "supervision.observe": {"supervisor": REGION},
    # --- progress after funding: the county's officers and the village's workers tell the
    # donors what happened (started, delivered, accepted); a donor follows a need to hear of it.
    "need.post_update": {"village_worker": VILLAGE, "county_officer": COUNTY},
    "need.follow": {"participant_member": PARTICIPANT},
    # --- sharing: a partner system's webhook endpoints, owned by a participant (its members)
    # or an office (scope = the office's region; the offices above it manage them too)
    "webhook.manage": {
        "national_admin": ANY,
        "province_office": PROVINCE,
        "county_officer": COUNTY,
        "participant_member": PARTICIPANT,
    },
}


@dataclass(frozen=True)
class Actor:
    """The person acting, reduced to what permission decisions need."""

    user_id: int
    username: str
    role: str
    region_code: str = ""
    province_code: str = ""
    county_code: str = ""
    participant_id: int | None = None


@dataclass(frozen=True)
class Scope:
    """Where the target of an action lies. Unknown parts stay empty."""

    region_code: str = ""
    county_code: str = ""
    province_code: str = ""
    participant_id: int | None = None


EVERYWHERE = Scope()


def _in_scope(kind: str, actor: Actor, scope: Scope | None) -> bool:
    if kind == ANY:
        return True
    if scope is None:
        # No specific target (e.g. opening a workspace): the role has the action somewhere.
        return True
    if kind == PROVINCE:
        return bool(actor.province_code) and scope.province_code == actor.province_code
    if kind == COUNTY:
        return bool(actor.county_code) and scope.county_code == actor.county_code
    if kind == VILLAGE:
        return bool(actor.region_code) and scope.region_code == actor.region_code
    if kind == PARTICIPANT:
        return actor.participant_id is not None and scope.participant_id == actor.participant_id
    if kind == REGION:
        if actor.county_code:
            return scope.county_code == actor.county_code
        return bool(actor.province_code) and scope.province_code == actor.province_code
    return False


def place_scope(actor: Actor | None) -> Scope:
    """Where an actor picks places (the village picker): a county's officers and village workers
    within their county, a province office within its province, everyone else anywhere. Place
    names are public; the scope keeps the choices to the places the actor works in."""
    if (
        actor is not None
        and actor.role in ("county_officer", "village_worker")
        and actor.county_code
    ):
        return Scope(county_code=actor.county_code, province_code=actor.province_code)
    if actor is not None and actor.role == "province_office" and actor.province_code:
        return Scope(province_code=actor.province_code)
    return EVERYWHERE


def can(actor: Actor | None, action: str, scope: Scope | None = None) -> bool:
    if action not in RULES:
        raise KeyError(f"unknown action {action!r}")  # a programming error, not user input
    if actor is None:
        return False
    kind = RULES[action].get(actor.role)
    return kind is not None and _in_scope(kind, actor, scope)


def require(actor: Actor | None, action: str, scope: Scope | None = None) -> Actor:
    if actor is None:
        raise NotAuthenticated(_("请先登录。"))
    if not can(actor, action, scope):
        raise PermissionDenied(_("您没有权限执行此操作，或目标不在您的管辖范围内。"))
    return actor


def scope_kind(role: str, action: str) -> str | None:
    return RULES[action].get(role)


# --- routes ----------------------------------------------------------------------------------
#
# Every HTML route and API endpoint declares what it is for: one action of RULES, several (any
# of them lets a role in — a page serving several steps of a lifecycle), or one of the two
# kinds below. The route refuses a role the declaration does not name before its handler runs
# (401 / a redirect to the login page without a user, 403 with one); the handler and its
# service then check the scope against the target. docs/security.md "Permissions".

#: Open to everyone, signed in or not (published needs, the ledger, the login form).
PUBLIC = "public"
#: Any signed-in user, each seeing only what is their own (their account, their sessions).
SIGNED_IN = "signed_in"
ROUTE_KINDS = (PUBLIC, SIGNED_IN)

RouteAction = str | tuple[str, ...]


def route_actions(action: RouteAction) -> tuple[str, ...]:
    """The declaration as a tuple, checked against the table: an unknown action, an empty
    declaration or PUBLIC / SIGNED_IN mixed with actions is a programming error."""
    actions = (action,) if isinstance(action, str) else tuple(action)
    if not actions:
        raise TypeError("a route declares at least one policy action")
    for name in actions:
        if name not in RULES and name not in ROUTE_KINDS:
            raise KeyError(f"unknown action {name!r}")
    if len(actions) > 1 and set(actions) & set(ROUTE_KINDS):
        raise TypeError(f"{PUBLIC!r} and {SIGNED_IN!r} stand alone, not among actions")
    return actions


def route_allows(action: RouteAction, role: str | None) -> bool:
    """Whether a user of ``role`` (None: nobody signed in) gets past a route's declaration."""
    actions = route_actions(action)
    if actions == (PUBLIC,):
        return True
    if role is None:
        return False
    return actions == (SIGNED_IN,) or any(role in RULES[name] for name in actions)


def require_route(actor: Actor | None, action: RouteAction) -> None:
    """Refuse a request the route's declaration does not let in."""
    if route_allows(action, actor.role if actor else None):
        return
    if actor is None:
        raise NotAuthenticated(_("请先登录。"))
    raise PermissionDenied(_("您没有权限执行此操作，或目标不在您的管辖范围内。"))
