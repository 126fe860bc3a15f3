# A vendor's event endpoint (pip install standardwebhooks; SIGNING_SECRET=whsec_... python3 endpoint.py)
import os
from http.server import BaseHTTPRequestHandler, HTTPServer
from standardwebhooks import Webhook, WebhookVerificationError

webhook = Webhook(os.environ["SIGNING_SECRET"])  # shown once, when the configuration is created

class Endpoint(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        try:
            event = webhook.verify(body, dict(self.headers))  # raises unless signed
        except WebhookVerificationError:
            self.send_response(401)
        else:
            print(event["type"], event["id"])  # act on it here (or answer 202 and use event["result_url"])
            self.send_response(200)
        self.end_headers()

HTTPServer(("", int(os.environ.get("PORT", "3000"))), Endpoint).serve_forever()
