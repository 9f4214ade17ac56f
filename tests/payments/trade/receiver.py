"""A merchant's notify endpoint for tests: a small HTTP server in a thread that verifies each
notification's RSA2 signature with the platform's public key and answers from a script."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from onecity.crypto import rsa2


class Receiver:
    """A merchant's notify endpoint: answers `replies` in turn (then the last one for ever)."""

    def __init__(self, replies: list[tuple[int, str]]) -> None:
        self.replies = replies
        self.received: list[dict[str, str]] = []
        self.verified: list[bool] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                length = int(self.headers.get("content-length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode("utf-8"), keep_blank_values=True))
                receiver.received.append(form)
                receiver.verified.append(rsa2.verify_params(form, rsa2.platform_public_pem()))
                n = min(len(receiver.received), len(receiver.replies)) - 1
                status, body = receiver.replies[n]
                data = body.encode()
                self.send_response(status)
                self.send_header("content-type", "text/plain")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alipay/notify"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
