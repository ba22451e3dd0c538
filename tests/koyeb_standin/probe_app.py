"""A tiny web app for the Koyeb stand-in tests, baked into the probe image.

It listens on $LISTEN_PORT when set (an app that ignores $PORT), else on
$PORT, and answers every path with JSON naming $MESSAGE, $APP_SECRET and
its port.
"""

import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = os.environ.get("HOST", "0.0.0.0")
PORT = int(os.environ.get("LISTEN_PORT") or os.environ["PORT"])


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps(
            {
                "message": os.environ.get("MESSAGE", ""),
                "secret": os.environ.get("APP_SECRET", ""),
                "port": PORT,
                "path": self.path,
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print(f"probe app listening on {HOST}:{PORT}", flush=True)
ThreadingHTTPServer((HOST, PORT), Handler).serve_forever()
