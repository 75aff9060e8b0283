#!/usr/bin/env python3
"""A minimal Lambda Runtime API, to run the built `lambda` example end to end without AWS.

    cargo build --example lambda
    python3 examples/lambda/mock_runtime_api.py target/debug/examples/lambda

It starts the binary with the variables Lambda sets (plus LMMS_PRELOAD), hands it the
events below one by one through `GET /2018-06-01/runtime/invocation/next`, prints each
response or error it posts back, then stops it. Standard library only.
"""

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EVENTS = [
    {"interface": "i18n", "op": "translate", "params": {"lang": "en", "key": "msg.1"}},
    {"interface": "timers", "op": "start", "params": {"name": "tea", "seconds": 240}},
    {"interface": "timers", "op": "explode"},
    {"interface": "lmms", "op": "heat"},
]
PREFIX = "/2018-06-01/runtime/invocation/"
results = []
done = threading.Event()


class RuntimeApi(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path != PREFIX + "next" or not EVENTS:
            done.set()
            self.send_response(404)
            self.end_headers()
            return
        n = len(results)
        body = json.dumps(EVENTS.pop(0)).encode()
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", f"req-{n}")
        self.send_header("Lambda-Runtime-Deadline-Ms", "9999999999999")
        self.send_header(
            "Lambda-Runtime-Invoked-Function-Arn",
            "arn:aws:lambda:eu-west-1:000000000000:function:lmms",
        )
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        kind = self.path.rsplit("/", 1)[-1]  # "response" or "error"
        results.append((kind, body))
        print(f"<- {self.path}: {body}", flush=True)
        self.send_response(202)
        self.end_headers()
        if not EVENTS:
            done.set()


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/debug/examples/lambda"
    server = ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(
        os.environ,
        AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}",
        AWS_LAMBDA_FUNCTION_NAME="lmms",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE="512",
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        LMMS_PRELOAD=os.environ.get("LMMS_PRELOAD", '{"units_core": 3, "nope": 1}'),
    )
    proc = subprocess.Popen([binary], env=env)
    finished = done.wait(timeout=60)
    proc.terminate()
    proc.wait()
    kinds = [k for k, _ in results]
    print(f"responses: {kinds}")
    ok = finished and kinds == ["response", "response", "error", "response"]
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
