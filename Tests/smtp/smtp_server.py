"""A real SMTP server on loopback for the Swift suite's delivery test.

Usage: smtp_server.py OUT_DIR [--implicit-tls]  — prints "PORT <n>" once listening, then writes each message it
receives to OUT_DIR/<n>.json (envelope, decoded subject, text and HTML parts, raw headers).
Offers STARTTLS with a throwaway self-signed certificate (written to OUT_DIR/cert.pem, which the
client trusts), requires AUTH (user "maillon", password "s3cret-pass") after TLS, and refuses
any recipient whose address starts with "refused@".
"""
import asyncio
import email
import email.policy
import json
import socket
import ssl
import subprocess
import sys
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

OUT = Path(sys.argv[1])
OUT.mkdir(parents=True, exist_ok=True)
CERT, KEY = OUT / "cert.pem", OUT / "key.pem"
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(KEY), "-out", str(CERT)],
               check=True, capture_output=True)
context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(str(CERT), str(KEY))


class Handler:
    count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused@"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        Handler.count += 1
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(message["subject"]),
            "from": str(message["from"]),
            "text": text.get_content() if text else None,
            "html": html.get_content() if html else None,
            "list_unsubscribe": message["list-unsubscribe"],
            "authenticated": session.authenticated,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
        }
        (OUT / f"{Handler.count}.json").write_text(json.dumps(record, ensure_ascii=False))
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"maillon" and auth_data.password == b"s3cret-pass"
    return AuthResult(success=ok)


with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]

if "--implicit-tls" in sys.argv:
    # SMTPS: TLS from the first byte (port 465 style).
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, ssl_context=context,
                            authenticator=authenticator, auth_require_tls=False, auth_required=True)
else:
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            authenticator=authenticator, auth_require_tls=True, auth_required=True)
controller.start()
print(f"PORT {port}", flush=True)
try:
    sys.stdin.read()  # runs until the test closes our stdin
finally:
    controller.stop()
