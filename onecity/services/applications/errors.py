"""Application errors, each with a stable code and zh/en messages."""

from __future__ import annotations

from onecity.errors import Conflict, Forbidden, InvalidInput, NotFound


class ApplicationNotFound(NotFound):
    code = "application_not_found"
    message_zh = "找不到该办件"
    message_en = "No such application"


class FormInvalid(InvalidInput):
    """Every problem is listed in `errors` ([{"field": "a.b", "message": ...}])."""

    code = "application_form_invalid"
    message_zh = "申请表填写有误"
    message_en = "The application form is not valid"


class NotEligible(Forbidden):
    code = "application_not_eligible"
    message_zh = "不符合该事项的申请条件"
    message_en = "You do not meet the conditions to apply for this service"


class MaterialsMissing(InvalidInput):
    code = "application_materials_missing"
    message_zh = "缺少必需的申请材料"
    message_en = "Required materials are missing"


class ServiceNotOnline(Conflict):
    code = "application_service_not_online"
    message_zh = "该事项暂不支持在线申请"
    message_en = "This service cannot be applied for online"


class ReasonRequired(InvalidInput):
    code = "application_reason_required"
    message_zh = "请填写理由"
    message_en = "A reason is required"


class NotAssignee(Forbidden):
    code = "application_not_assignee"
    message_zh = "该办件已由其他工作人员受理"
    message_en = "Another staff member has claimed this application"


class AttachmentInvalid(InvalidInput):
    code = "application_attachment_invalid"
    message_zh = "附件类型或大小不符合要求"
    message_en = "The attachment's type or size is not accepted"


class AttachmentNotFound(NotFound):
    code = "application_attachment_not_found"
    message_zh = "找不到该附件"
    message_en = "No such attachment"


class EffectUnknown(Conflict):
    code = "application_effect_unknown"
    message_zh = "该事项配置了未知的办结操作"
    message_en = "The service names an unknown effect of approval"


class EffectFailed(Conflict):
    code = "application_effect_failed"
    message_zh = "办结操作未能完成"
    message_en = "The effect of approval could not be completed"


class NoticeNotFound(NotFound):
    code = "application_notice_not_found"
    message_zh = "找不到该通知"
    message_en = "No such notice"


class ActionDataInvalid(InvalidInput):
    code = "application_action_data_invalid"
    message_zh = "只有重新提交时可以修改申请内容"
    message_en = "Form data can only be given when resubmitting"
