"""The pure rules of family links: the state machine, who may be whose relative, scopes and limits.

State machine of a link (one row from invitation to end):

    pending ──accept──▶ accepted ──revoke──▶ revoked
       │──decline──▶ declined
       │──cancel───▶ cancelled
       └──expire───▶ expired

A parent's direct link to a minor is created `accepted`. `narrow` (scopes made smaller) is allowed
only on an accepted link and leaves it accepted. Every other (status, action) pair is illegal.

Relation is what the *relative* (the invitee, or the minor) is to the inviter: "parent", "child" or
"spouse"; seen from the relative's side it is the inverse (a child's parent sees "child").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from onecity.errors import Conflict, DomainError, InvalidInput
from onecity.identity.resident_id import ADULT_AGE, age_on

RELATIONS = ("parent", "child", "spouse")
INVERSE = {"parent": "child", "child": "parent", "spouse": "spouse"}
SCOPES = ("pay_medical", "show_certificates", "view_bills", "pay_bills")
STATUSES = ("pending", "accepted", "declined", "expired", "cancelled", "revoked")
ACTIONS = ("accept", "decline", "cancel", "expire", "revoke", "narrow")
TRANSITIONS: dict[tuple[str, str], str] = {
    ("pending", "accept"): "accepted",
    ("pending", "decline"): "declined",
    ("pending", "cancel"): "cancelled",
    ("pending", "expire"): "expired",
    ("accepted", "revoke"): "revoked",
    ("accepted", "narrow"): "accepted",
}

# A parent is at least this many years older than their child (their age on the child's birth date).
MIN_PARENT_AGE_GAP = 14
INVITATION_TTL = timedelta(days=7)
MAX_LINKS = 10  # accepted links plus invitations still pending, per citizen
MAX_PENDING_SENT = 5  # invitations a citizen has waiting at once
MAX_INVITATIONS_PER_DAY = 10  # invitations a citizen may send in any 24 hours
MAX_SPOUSES = 1
MAX_PARENTS = 2  # linked parents per citizen (by invitation or a guardian's direct link)


class IllegalTransition(Conflict):
    code = "family_illegal_transition"
    message_zh = "亲情账户当前状态不允许此操作"
    message_en = "The family link's current status does not allow this"


class InvitationExpired(IllegalTransition):
    code = "family_invitation_expired"
    message_zh = "邀请已过期"
    message_en = "The invitation has expired"


class UnknownScope(InvalidInput):
    code = "family_unknown_scope"
    message_zh = "授权范围无效"
    message_en = "Unknown scope"


class UnknownRelation(InvalidInput):
    code = "family_unknown_relation"
    message_zh = "关系无效，只能是父母、子女或配偶"
    message_en = "The relation must be parent, child or spouse"


class RelationInconsistent(DomainError):
    code = "family_relation_inconsistent"
    status = 422
    message_zh = "关系与双方出生日期不符（父母应比子女年长至少14岁）"
    message_en = "The relation does not fit the birth dates (a parent is at least 14 years older than a child)"


class SpouseMustBeAdult(DomainError):
    code = "family_spouse_not_adult"
    status = 422
    message_zh = "配偶双方都必须年满18周岁"
    message_en = "Both spouses must be adults"


class RelativeIsMinor(DomainError):
    code = "family_relative_is_minor"
    status = 422
    message_zh = "未成年人不能通过邀请关联，请由父母通过人脸验证直接添加"
    message_en = "A minor is not invited: a parent links them directly after face verification"


class MinorCannotInvite(DomainError):
    code = "family_inviter_is_minor"
    status = 403
    message_zh = "未成年人不能发出亲情账户邀请，请由父母添加"
    message_en = "A minor cannot send invitations; a parent links them instead"


class NotAMinor(DomainError):
    code = "family_not_a_minor"
    status = 422
    message_zh = "对方已成年，请发送邀请由对方确认"
    message_en = "The person is an adult: send them an invitation to accept"


class GuardianMustBeAdult(DomainError):
    code = "family_guardian_not_adult"
    status = 403
    message_zh = "只有成年人才能直接添加未成年子女"
    message_en = "Only an adult can link a minor child directly"


class ScopesCanOnlyNarrow(DomainError):
    code = "family_scopes_only_narrow"
    status = 422
    message_zh = "授权范围只能缩小，不能扩大"
    message_en = "Scopes can only be narrowed, never widened"


def next_status(status: str, action: str) -> str:
    """The status after `action`, or `IllegalTransition` (`InvitationExpired` for an expired invitation)."""
    after = TRANSITIONS.get((status, action))
    if after is None:
        exc = InvitationExpired if status == "expired" else IllegalTransition
        raise exc(detail=f"cannot {action} a link that is {status}", status=status, action=action)
    return after


def effective_status(status: str, expires_at: datetime | None, now: datetime) -> str:
    """A pending invitation past its expiry is expired, whether or not a sweep has recorded it yet."""
    if status == "pending" and expires_at is not None and now >= expires_at:
        return "expired"
    return status


def check_relation_name(relation: str) -> str:
    if relation not in RELATIONS:
        raise UnknownRelation(detail=f"relation must be one of {', '.join(RELATIONS)}")
    return relation


def normalise_scopes(scopes: Iterable[str]) -> list[str]:
    """Unique, in catalogue order; any unknown name is an error."""
    given = list(scopes)
    unknown = sorted(set(given) - set(SCOPES))
    if unknown:
        raise UnknownScope(detail=f"unknown scopes: {', '.join(unknown)}; known: {', '.join(SCOPES)}")
    return [s for s in SCOPES if s in given]


def check_narrowing(new: Iterable[str], current: Iterable[str]) -> list[str]:
    """`new` must be a subset of `current` (equal is allowed: nothing changes)."""
    new_list = normalise_scopes(new)
    extra = sorted(set(new_list) - set(current))
    if extra:
        raise ScopesCanOnlyNarrow(detail=f"not currently granted: {', '.join(extra)}")
    return new_list


def is_adult(birth_date: date, today: date) -> bool:
    return age_on(birth_date, today) >= ADULT_AGE


def is_parent_age_gap(parent_birth: date, child_birth: date) -> bool:
    """The parent was at least MIN_PARENT_AGE_GAP on the child's birth date."""
    return age_on(parent_birth, child_birth) >= MIN_PARENT_AGE_GAP


def check_relation(relation: str, *, inviter_birth: date, relative_birth: date, today: date) -> None:
    """`relative` is the inviter's `relation`; their birth dates must make that possible."""
    check_relation_name(relation)
    if relation == "spouse":
        if not (is_adult(inviter_birth, today) and is_adult(relative_birth, today)):
            raise SpouseMustBeAdult()
        return
    parent, child = (relative_birth, inviter_birth) if relation == "parent" else (inviter_birth, relative_birth)
    if not is_parent_age_gap(parent, child):
        raise RelationInconsistent()


def check_invitable(relation: str, *, inviter_birth: date, relative_birth: date, today: date) -> None:
    """An invitation goes from an adult to an adult relative, and the relation must fit both birth dates."""
    check_inviter_can_have(relation, inviter_birth=inviter_birth, today=today)
    if not is_adult(relative_birth, today):
        raise RelativeIsMinor()
    check_relation(relation, inviter_birth=inviter_birth, relative_birth=relative_birth, today=today)


def check_inviter_can_have(relation: str, *, inviter_birth: date, today: date) -> None:
    """What the inviter's own birth date rules out before the relative is known: invitations are
    between adults (a minor is only ever linked by a parent, directly), and an adult child needs an
    inviter at least 18 + 14 = 32 years old."""
    check_relation_name(relation)
    if not is_adult(inviter_birth, today):
        raise MinorCannotInvite()
    if relation == "child" and age_on(inviter_birth, today) < ADULT_AGE + MIN_PARENT_AGE_GAP:
        raise RelationInconsistent(detail="an adult child is at least 14 years younger than their parent")


def check_guardian(*, parent_birth: date, minor_birth: date, today: date) -> None:
    """A direct link: an adult parent, a child under 18, and the parent's age gap."""
    if not is_adult(parent_birth, today):
        raise GuardianMustBeAdult()
    if is_adult(minor_birth, today):
        raise NotAMinor()
    if not is_parent_age_gap(parent_birth, minor_birth):
        raise RelationInconsistent()
