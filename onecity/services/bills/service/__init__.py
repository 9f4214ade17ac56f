"""The bills API: biller profiles and connectors, citizens' accounts and fetching, payments and their
outcomes at the biller, autopay, and reconciliation files. See the package docstring."""

from onecity.services.bills.service import signing
from onecity.services.bills.service.accounts import (
    Target,
    add_account,
    bill_key,
    bills_view,
    fetch_from_biller,
    get_account,
    list_accounts,
    locate,
    remove_account,
    set_autopay,
)
from onecity.services.bills.service.autopay import run_autopay
from onecity.services.bills.service.billers import (
    Route,
    active_profile,
    biller_org_of,
    connector,
    get_biller,
    list_billers,
    set_profile,
    simulator,
    use_connector,
)
from onecity.services.bills.service.connector import (
    Ack,
    AdviceStatus,
    BillerAccountUnknown,
    BillerConnector,
    BillerDown,
    BillerTimeout,
    FetchedBill,
)
from onecity.services.bills.service.http import HttpBiller
from onecity.services.bills.service.payments import (
    account_history,
    apply_ack,
    apply_status,
    biller_payments,
    dispatch,
    get_payment,
    handle_ack,
    history,
    pay_bill,
    top_up,
)
from onecity.services.bills.service.reconciliation import (
    day_window,
    download_headers,
    generate,
    generate_due,
    get_file,
    list_files,
)
from onecity.services.bills.service.simulator import BillerSimConfig, SimulatedBiller

__all__ = [
    "Ack", "AdviceStatus", "BillerAccountUnknown", "BillerConnector", "BillerDown", "BillerSimConfig",
    "BillerTimeout", "FetchedBill", "HttpBiller", "Route", "SimulatedBiller", "Target",
    "account_history", "active_profile", "add_account", "apply_ack", "apply_status", "bill_key", "biller_org_of",
    "biller_payments",
    "bills_view", "connector", "day_window", "dispatch", "download_headers", "fetch_from_biller", "generate", "generate_due",
    "get_account", "get_biller", "get_file", "get_payment", "handle_ack", "history", "list_accounts",
    "list_billers", "list_files", "locate", "pay_bill", "remove_account", "run_autopay", "set_autopay",
    "set_profile", "signing", "simulator", "top_up", "use_connector",
]
