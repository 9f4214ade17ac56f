"""The service catalogue's API for pages, other sub-packages and the demo.

Laid out by meaning: `items` (categories, items in versions, popularity), `search` (full text in
Chinese and English), `segment` (Chinese word
segmentation), `errors`.
"""

from onecity.services.catalogue.service.errors import (
    AgencyInvalid,
    CatalogueItemExists,
    CatalogueItemInvalid,
    CatalogueItemNotFound,
    CategoryUnknown,
    FormSchemaInvalid,
    SearchQueryInvalid,
    StatusConflict,
    WorkflowUnknown,
)
from onecity.services.catalogue.service.items import (
    AGENCY_KINDS,
    PUBLISHED_TOPIC,
    RETIRED_TOPIC,
    city,
    count_use,
    create_item,
    ensure_categories,
    get_category,
    get_item,
    list_categories,
    list_items,
    list_versions,
    most_used,
    popular,
    publish_item,
    recommended,
    recommended_of,
    retire_item,
    update_item,
    validate,
)
from onecity.services.catalogue.service.search import search

__all__ = [
    "AGENCY_KINDS",
    "PUBLISHED_TOPIC",
    "RETIRED_TOPIC",
    "AgencyInvalid",
    "CatalogueItemExists",
    "CatalogueItemInvalid",
    "CatalogueItemNotFound",
    "CategoryUnknown",
    "FormSchemaInvalid",
    "SearchQueryInvalid",
    "StatusConflict",
    "WorkflowUnknown",
    "city",
    "count_use",
    "create_item",
    "ensure_categories",
    "get_category",
    "get_item",
    "list_categories",
    "list_items",
    "list_versions",
    "most_used",
    "popular",
    "publish_item",
    "recommended",
    "recommended_of",
    "retire_item",
    "search",
    "update_item",
    "validate",
]
