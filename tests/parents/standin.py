"""A local stand-in for the SMS and WeChat providers: it answers as each
provider's documentation says, so the real SDKs can be tested against it."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Provider:
    """Records each request and answers with the next scripted body (or the
    default). ``answers`` maps a path ('/', '/cgi-bin/token', ...) to a list of
    bodies used in turn; the last one repeats."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: dict[str, list] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def answer(self, path: str, *bodies) -> None:
        self.answers[path] = list(bodies)

    def _next(self, path: str):
        bodies = self.answers.get(path) or [{}]
        return bodies.pop(0) if len(bodies) > 1 else bodies[0]

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                url = urllib.parse.urlsplit(self.path)
                provider.requests.append(
                    {
                        "method": self.command,
                        "path": url.path,
                        "query": dict(urllib.parse.parse_qsl(url.query)),
                        "headers": dict(self.headers.items()),
                        "body": json.loads(body) if body.startswith(b"{") else body,
                    }
                )
                answer = provider._next(url.path)
                status = 200
                if isinstance(answer, tuple):
                    status, answer = answer
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        return Handler

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


# What each provider documents as its answers.
def alibaba(code: str = "OK", message: str = "OK") -> dict:
    return {
        "Code": code,
        "Message": message,
        "BizId": "900619746936498440^0",
        "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990",
    }


def tencent(code: str = "Ok", message: str = "send success") -> dict:
    status = {
        "SerialNo": "5000:1045710669157053657849499619",
        "PhoneNumber": "+8613711112222",
        "Fee": 1,
        "SessionContext": "",
        "Code": code,
        "Message": message,
        "IsoCode": "CN",
    }
    return {
        "Response": {"SendStatusSet": [status], "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279"}
    }


def tencent_error(code: str, message: str = "refused") -> dict:
    return {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": "b0aabda6"}}


def wechat_token(token: str = "TOKEN-1") -> dict:
    return {"access_token": token, "expires_in": 7200}


def wechat(errcode: int = 0, errmsg: str = "ok") -> dict:
    answer = {"errcode": errcode, "errmsg": errmsg}
    if errcode == 0:
        answer["msgid"] = 200228332
    return answer
