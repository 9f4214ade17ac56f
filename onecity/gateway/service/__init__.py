"""The gateway service: what the gateway's API, pages and commands (and other modules) call.

Laid out by meaning: `apps` (merchants' gateway apps), `gateway` (one /gateway.do call: common
parameters, signature, dispatch), `methods` (the alipay.trade.* adapters over the trade service) and
`replies` (Alipay's return codes and signed response text).
"""

from onecity.gateway.service.apps import (
    GatewayAppNameInvalid,
    GatewayAppNotFound,
    GatewayAppStatusInvalid,
    GatewayKeyInvalid,
    GatewayNotAMerchant,
    GatewayNotifyUrlInvalid,
    get_app,
    list_apps,
    new_app_id,
    register_app,
    replace_app_key,
    set_app_status,
)
from onecity.gateway.service.gateway import handle, unavailable
from onecity.gateway.service.methods import METHODS
from onecity.gateway.service.replies import GatewayError, GatewayReply, response_key

__all__ = [
    "METHODS",
    "GatewayAppNameInvalid",
    "GatewayAppNotFound",
    "GatewayAppStatusInvalid",
    "GatewayError",
    "GatewayKeyInvalid",
    "GatewayNotAMerchant",
    "GatewayNotifyUrlInvalid",
    "GatewayReply",
    "get_app",
    "handle",
    "list_apps",
    "new_app_id",
    "register_app",
    "replace_app_key",
    "response_key",
    "set_app_status",
    "unavailable",
]
