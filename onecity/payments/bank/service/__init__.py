"""The bank module's API: bank cards, instructions to banks (collect, payout) and their outcomes, the
channel (interface + simulator), and the daily reconciliation. See the package docstring."""

from onecity.payments.bank.service.accounts import SYSTEM_ACCOUNTS, UnknownSystemAccount, system_account
from onecity.payments.bank.service.cards import (
    BANKS,
    BIN_TABLE,
    CardBankUnsupported,
    CardHolderMismatch,
    CardInUse,
    CardLimitReached,
    CardNotFound,
    CardNumberInvalid,
    bank_for,
    bind_card,
    get_card,
    list_cards,
    luhn_digit,
    luhn_ok,
    mask_card,
    unbind_card,
)
from onecity.payments.bank.service.channel import (
    BankChannel,
    BankRequest,
    BankResult,
    BankTimeout,
    StatementLine,
)
from onecity.payments.bank.service.instructions import (
    AmountInvalid,
    InstructionConflict,
    InstructionNotFound,
    advance,
    channel,
    dispatch,
    get_instruction,
    get_payout,
    handle_bank_result,
    instructions_for,
    request_card_payout,
    request_collection,
    request_payout,
    run_channel,
    use_channel,
)
from onecity.payments.bank.service.reconciliation import latest_run, reconcile
from onecity.payments.bank.service.simulator import SimulatedBank, SimulatorConfig

__all__ = [
    "BANKS", "BIN_TABLE", "SYSTEM_ACCOUNTS",
    "AmountInvalid", "BankChannel", "BankRequest", "BankResult", "BankTimeout", "CardBankUnsupported",
    "CardHolderMismatch", "CardInUse", "CardLimitReached", "CardNotFound", "CardNumberInvalid",
    "InstructionConflict", "InstructionNotFound", "SimulatedBank", "SimulatorConfig", "StatementLine",
    "UnknownSystemAccount",
    "advance", "bank_for", "bind_card", "channel", "dispatch", "get_card", "get_instruction", "get_payout",
    "handle_bank_result", "instructions_for", "latest_run", "list_cards", "luhn_digit", "luhn_ok", "mask_card",
    "reconcile", "request_card_payout", "request_collection", "request_payout", "run_channel", "system_account",
    "unbind_card", "use_channel",
]
