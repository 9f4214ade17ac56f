"""A payment load for the crash test, run as its own process:

    python -m tests.ledger.crash_load FROM TO WALLET SHOP

Four threads transfer 1 fen from WALLET to SHOP with transfer ids pay-FROM … pay-TO (each in its own
transaction, like a payment request) and print `ack N replayed` after each commit, the way a server
answers a client only once the payment is durable. The test SIGKILLs it mid-load.
"""

from __future__ import annotations

import sys
import threading

from onecity import db
from onecity.ledger import service


def main() -> None:
    start, stop, wallet, shop = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    todo = iter(range(start, stop))
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                n = next(todo, None)
            if n is None:
                return
            with db.transaction() as s:
                t = service.transfer(s, transfer_id=f"pay-{n}", debit=wallet, credit=shop, amount=1, code="pay",
                                     ref=f"order-{n}")
            with lock:
                print(f"ack {n} {int(t.replayed)}", flush=True)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
