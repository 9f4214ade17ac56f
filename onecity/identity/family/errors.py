"""Errors of family links that the service raises (the rule violations are in `rules`)."""

from __future__ import annotations

from onecity.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, RateLimited


class LinkNotFound(NotFound):
    code = "family_link_not_found"
    message_zh = "找不到该亲情账户或邀请"
    message_en = "No such family link or invitation"


class AddressInvalid(InvalidInput):
    code = "family_address_invalid"
    message_zh = "请填写对方手机号，或同时填写对方姓名和身份证号码"
    message_en = "Give the relative's mobile number, or both their name and ID number"


class CannotLinkSelf(DomainError):
    code = "family_self_link"
    status = 422
    message_zh = "不能关联自己"
    message_en = "You cannot link yourself"


class AlreadyLinked(Conflict):
    code = "family_already_linked"
    message_zh = "你们已经关联了亲情账户"
    message_en = "You are already linked"


class InvitationPending(Conflict):
    code = "family_invitation_pending"
    message_zh = "已向对方发出邀请，请等待对方回应"
    message_en = "An invitation to this person is already waiting for an answer"


class LinkLimitReached(Conflict):
    code = "family_link_limit"
    message_zh = "亲情账户数量已达上限"
    message_en = "The limit of family links has been reached"


class TooManyInvitations(RateLimited):
    code = "family_invitation_rate"
    message_zh = "今天发出的邀请过多，请明天再试"
    message_en = "Too many invitations sent today; try again tomorrow"


class AccountInactive(Forbidden):
    code = "family_account_inactive"
    message_zh = "账户不可用"
    message_en = "The account is not active"


class NotYourAnswer(Forbidden):
    code = "family_not_addressee"
    message_zh = "只有被邀请人可以接受或拒绝邀请"
    message_en = "Only the person invited can accept or decline"


class NotYourInvitation(Forbidden):
    code = "family_not_sender"
    message_zh = "只有邀请人可以撤回邀请"
    message_en = "Only the sender can cancel an invitation"


class MinorNotFound(NotFound):
    code = "family_minor_not_found"
    message_zh = "没有与该姓名和身份证号码一致的实名用户"
    message_en = "No real-name verified citizen has this name and ID number"


class GuardianLinkLocked(Forbidden):
    code = "family_guardian_link_locked"
    message_zh = "未成年人不能解除或修改监护人的亲情账户"
    message_en = "A minor cannot revoke or change their guardian's link"


class ScopesNotRequested(InvalidInput):
    code = "family_scopes_not_requested"
    message_zh = "只能同意对方申请的授权范围"
    message_en = "You can only grant scopes the invitation asked for"


class NotAllowedForRelative(Forbidden):
    code = "family_scope_missing"
    message_zh = "你没有代该亲属办理此事项的授权"
    message_en = "You are not authorised to do this for this relative"
