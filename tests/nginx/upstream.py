"""A tiny upstream service for tests/nginx/run.sh: answers every GET/POST with JSON describing
what it received (path, the X-Keyportal-* headers nginx added, the body length) and appends
the same as one line to the log file given on the command line.

    python3 upstream.py PORT LOGFILE
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        seen = {
            "method": self.command,
            "path": self.path,
            "clientId": self.headers.get("X-Keyportal-Client-Id"),
            "owner": self.headers.get("X-Keyportal-Owner"),
            "bodyLength": len(body),
        }
        with open(self.server.log_path, "a", encoding="utf-8") as log:
            log.write(json.dumps(seen) + "\n")
        out = json.dumps({"upstream": "geocoder", "seen": seen}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = answer
    do_POST = answer

    def log_message(self, *args):
        pass


def main():
    port, log_path = int(sys.argv[1]), sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.log_path = log_path
    server.serve_forever()


if __name__ == "__main__":
    main()
