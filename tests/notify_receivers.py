"""Real receivers for the notification tests: an HTTP server and an SMTP server on loopback."""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Receiver:
    """A ThreadingHTTPServer answering by path: /ok 200, /fail 500, /gone 410, /hang (sleeps),
    /redirect 302, /flaky 500 then 200. Every request is recorded."""

    def __init__(self):
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.hang_seconds = 3.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    seen = sum(1 for r in receiver.requests if r["path"] == self.path)
                path = self.path.split("?")[0]
                if path == "/hang":
                    time.sleep(receiver.hang_seconds)
                code = {"/ok": 200, "/fail": 500, "/gone": 410, "/redirect": 302, "/hang": 200}.get(path, 200)
                if path == "/flaky":
                    code = 500 if seen == 1 else 200
                payload = b"garbage \x00\xff" if code >= 300 else b"ok"
                self.send_response(code)
                if code == 302:
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a sender that timed out closed the connection: expected

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def to(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["path"] == path]


@pytest.fixture
def receiver():
    server = Receiver()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


class Mailbox:
    def __init__(self):
        self.messages = []
        self.sessions = set()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        self.sessions.add(id(session))
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    """An aiosmtpd server on loopback; the site's email goes to it."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield mailbox
    controller.stop()
