"""The catalogue's errors, each with a stable code and zh/en messages."""

from __future__ import annotations

from onecity.errors import Conflict, InvalidInput, NotFound


class CatalogueItemNotFound(NotFound):
    code = "service_item_not_found"
    message_zh = "找不到该服务事项"
    message_en = "No such service item"


class CatalogueItemExists(Conflict):
    code = "service_item_exists"
    message_zh = "该城市已有同一编码的服务事项"
    message_en = "A service item with this code already exists in this city"


class CatalogueItemInvalid(InvalidInput):
    """The item as a whole does not make sense (the problem lists every reason in `errors`)."""

    code = "service_item_invalid"
    message_zh = "服务事项填写有误"
    message_en = "The service item is not valid"


class FormSchemaInvalid(InvalidInput):
    code = "service_form_schema_invalid"
    message_zh = "申请表单的 JSON Schema 无效"
    message_en = "The application form is not a valid JSON Schema (draft 2020-12)"


class WorkflowUnknown(InvalidInput):
    code = "service_workflow_unknown"
    message_zh = "办理流程不存在"
    message_en = "No workflow with this id"


class AgencyInvalid(InvalidInput):
    code = "service_agency_invalid"
    message_zh = "办理机构不存在或不是政府部门/缴费机构"
    message_en = "The agency does not exist or is not an agency or biller"


class CategoryUnknown(InvalidInput):
    code = "service_category_unknown"
    message_zh = "服务分类不存在"
    message_en = "No such service category"


class StatusConflict(Conflict):
    code = "service_item_status_conflict"
    message_zh = "服务事项当前状态不允许此操作"
    message_en = "The service item's status does not allow this"


class SearchQueryInvalid(InvalidInput):
    code = "service_search_invalid"
    message_zh = "搜索内容过长"
    message_en = "The search query is too long"
