#!/usr/bin/env python3
"""A real NTLM acceptor on loopback for the transport tests (tests/it/transport.rs).

Uses pyspnego's server-side NTLM. Credentials come from the file named by NTLM_USER_FILE
(one `DOMAIN:USER:PASSWORD` line), which the test writes. Prints the port it listens on
(127.0.0.1, port chosen by the OS) as the first line of stdout, then serves HTTP/1.1 with
keep-alive: NTLM authenticates the connection, so state lives per connection.

Each SOAP answer carries X-Ntlm-Connection (a per-connection number) and X-Ntlm-Handshakes
(how many handshakes this connection completed) so the test can check connection reuse.
Exits by itself after --lifetime seconds (default 60).
"""

import base64
import http.server
import itertools
import os
import sys
import threading

import spnego

CONNECTIONS = itertools.count(1)

SOAP_OK = (
    b'<?xml version="1.0" encoding="utf-8"?>'
    b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
    b'<m:GetImItemListResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"'
    b' ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
    b"</m:GetImItemListResponse></s:Body></s:Envelope>"
)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.connection_id = next(CONNECTIONS)
        self.context = None
        self.authenticated = False
        self.handshakes = 0

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Ntlm-Connection", str(self.connection_id))
        self.send_header("X-Ntlm-Handshakes", str(self.handshakes))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("NTLM "):
            if self.authenticated:
                self.reply(200, SOAP_OK, [("Content-Type", "text/xml; charset=utf-8")])
            else:
                self.reply(401, b"", [("WWW-Authenticate", "NTLM")])
            return
        token = base64.b64decode(auth[5:])
        message_type = token[8:12]
        if message_type == b"\x01\x00\x00\x00":
            self.authenticated = False
            self.context = spnego.server(protocol="ntlm")
            challenge = self.context.step(token)
            self.reply(401, b"", [("WWW-Authenticate", "NTLM " + base64.b64encode(challenge).decode())])
            return
        ok = False
        if self.context is not None:
            try:
                self.context.step(token)
                ok = self.context.complete
            except Exception as error:  # a wrong password is an exception in pyspnego
                sys.stderr.write(f"ntlm_server: authentication refused: {type(error).__name__}\n")
        self.context = None
        if ok:
            self.authenticated = True
            self.handshakes += 1
            self.reply(200, SOAP_OK, [("Content-Type", "text/xml; charset=utf-8")])
        else:
            self.reply(401, b"", [("WWW-Authenticate", "NTLM")])


def main():
    lifetime = 60.0
    if len(sys.argv) > 2 and sys.argv[1] == "--lifetime":
        lifetime = float(sys.argv[2])
    if not os.environ.get("NTLM_USER_FILE"):
        sys.exit("ntlm_server: set NTLM_USER_FILE to a DOMAIN:USER:PASSWORD file")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    timer = threading.Timer(lifetime, lambda: os._exit(0))
    timer.daemon = True
    timer.start()
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
