"""Stand-ins for the peers that cannot exist here: Microsoft's and Google's sign-in servers (as an HTTP layer handed
to MSAL) and the token introspection endpoint a real Dovecot asks (a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

MS = "https://login.microsoftonline.com"
TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"  # the consumers tenant
GOOGLE_TOKEN = "https://oauth2.googleapis.com/token"


class Response:
    def __init__(self, status: int, body: dict) -> None:
        self.status_code = status
        self.text = json.dumps(body)
        self.headers = {"Content-Type": "application/json"}

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise OSError(f"HTTP {self.status_code}")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


class FakeIdentityProvider:
    """Answers MSAL's requests (discovery, device code, token) and Google's token endpoint, in process.

    Every access token it issues is added to ``valid_tokens``, which the introspection endpoint accepts for
    ``signs_in_as``. ``expires_in`` is short, so MSAL refreshes (refresh-token grant) on every connect.
    """

    def __init__(self, signs_in_as: str, client_id: str = "test-client-id") -> None:
        self.signs_in_as = signs_in_as
        self.client_id = client_id
        self.valid_tokens: set[str] = set()
        self.requests: list[tuple[str, str, dict]] = []
        self.refresh_tokens: set[str] = set()
        self.google_codes: set[str] = set()
        self.codes: dict[str, dict[str, str]] = {}  # Microsoft authorization codes → what they were issued for
        self.refuse: set[str] = set()  # "code" and/or "device": ways of signing in this client may not use

    # the MSAL HttpClient interface ---------------------------------------------------------------------------------
    def get(self, url: str, params: dict | None = None, headers: dict | None = None, **kwargs: object) -> Response:
        self.requests.append(("GET", url, params or {}))
        if url.endswith("/v2.0/.well-known/openid-configuration"):
            base = url.rsplit("/v2.0/", 1)[0]
            return Response(
                200,
                {
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                    "issuer": f"{MS}/{TENANT_ID}/v2.0",
                },
            )
        if url.endswith("/common/discovery/instance"):
            aliases = ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com"]
            return Response(
                200,
                {
                    "tenant_discovery_endpoint": f"{MS}/common/v2.0/.well-known/openid-configuration",
                    "metadata": [{"preferred_network": aliases[0], "preferred_cache": aliases[1], "aliases": aliases}],
                },
            )
        return Response(404, {"error": "not_found"})

    def post(self, url: str, params: dict | None = None, data: object = None, headers: dict | None = None,
             **kwargs: object) -> Response:  # fmt: skip
        form = data if isinstance(data, dict) else {k: v[0] for k, v in parse_qs(str(data or "")).items()}
        self.requests.append(("POST", url, form))
        if url.endswith("/devicecode"):
            if "device" in self.refuse:
                return Response(400, {"error": "invalid_client", "error_description": "AADSTS70002: The provided "
                                      "client is not supported for this feature. The client application must be "
                                      "marked as 'mobile.'"})  # fmt: skip
            return Response(
                200,
                {
                    "device_code": "device-code-1",
                    "user_code": "ABCD-EFGH",
                    "verification_uri": "https://microsoft.com/devicelogin",
                    "expires_in": 900,
                    "interval": 1,
                    "message": "To sign in, open https://microsoft.com/devicelogin and enter the code ABCD-EFGH.",
                },
            )
        if url.endswith("/oauth2/v2.0/token") or url == GOOGLE_TOKEN:
            return self._token(form, google=url == GOOGLE_TOKEN)
        return Response(404, {"error": "not_found"})

    # the browser's side of the authorization-code flow -------------------------------------------------------------
    def authorize(self, auth_uri: str) -> str:
        """What the browser does with the sign-in address: the address it lands on (https://localhost/?code=…)."""
        url = urlparse(auth_uri)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        assert url.path.endswith("/oauth2/v2.0/authorize"), url.path
        assert query["response_type"] == "code" and query["code_challenge_method"] == "S256"
        redirect = query["redirect_uri"]
        if query["client_id"] != self.client_id or "code" in self.refuse:
            error = {"error": "unauthorized_client", "error_description": "AADSTS700016: not allowed for this app"}
            return f"{redirect}/?{urlencode({**error, 'state': query['state']})}"
        code = f"M.C5{secrets.token_hex(10)}"
        self.codes[code] = {"challenge": query["code_challenge"], "nonce": query.get("nonce", ""),
                            "redirect_uri": redirect, "client_id": query["client_id"]}  # fmt: skip
        return f"{redirect}/?{urlencode({'code': code, 'state': query['state']})}"

    def _code_is_good(self, form: dict) -> dict[str, str] | None:
        issued = self.codes.pop(str(form.get("code")), None)  # a code works once
        if issued is None or form.get("redirect_uri") != issued["redirect_uri"]:
            return None
        verifier = str(form.get("code_verifier") or "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).decode().rstrip("=")
        return issued if challenge == issued["challenge"] else None  # PKCE: only who started the flow may finish it

    def _token(self, form: dict, *, google: bool) -> Response:
        grant = form.get("grant_type")
        nonce = ""
        if grant == "refresh_token" and form.get("refresh_token") not in self.refresh_tokens:
            return Response(400, {"error": "invalid_grant", "error_description": "AADSTS70000: token revoked"})
        if grant == "authorization_code" and google and form.get("code") not in self.google_codes:
            return Response(400, {"error": "invalid_grant", "error_description": "bad code"})
        if grant == "authorization_code" and not google:
            issued = self._code_is_good(form)
            if issued is None:
                return Response(400, {"error": "invalid_grant", "error_description": "AADSTS70008: code expired"})
            nonce = issued["nonce"]
        access, refresh = f"at-{secrets.token_hex(12)}", f"rt-{secrets.token_hex(12)}"
        self.valid_tokens.add(access)
        self.refresh_tokens.add(refresh)
        body = {"token_type": "Bearer", "expires_in": 60, "access_token": access, "refresh_token": refresh}
        if google:
            return Response(200, {**body, "scope": "https://mail.google.com/"})
        now = int(time.time())
        claims = {
            "iss": f"{MS}/{TENANT_ID}/v2.0",
            "aud": self.client_id,
            "sub": "subject-1",
            "oid": "00000000-0000-0000-0000-0000000000aa",
            "tid": TENANT_ID,
            "preferred_username": self.signs_in_as,
            "iat": now,
            "exp": now + 3600,
            **({"nonce": nonce} if nonce else {}),
        }
        return Response(
            200,
            {
                **body,
                "scope": "https://outlook.office.com/IMAP.AccessAsUser.All",
                "id_token": f"{_b64({'alg': 'none'})}.{_b64(claims)}.",
                "client_info": _b64({"uid": "00000000-0000-0000-0000-0000000000aa", "utid": TENANT_ID}),
            },
        )

    def grant_google_code(self) -> str:
        code = f"code-{secrets.token_hex(6)}"
        self.google_codes.add(code)
        return code


def browser_for(idp: FakeIdentityProvider, said: list[str]):
    """A stand-in for the user's browser: reads the sign-in URL the tool prints and follows Google's redirect."""
    import urllib.request

    def tell(text: str) -> None:
        said.append(text)
        url = next(word for word in text.split() if word.startswith("https://accounts.google.com/"))
        query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
        back = f"{query['redirect_uri']}?{urlencode({'code': idp.grant_google_code(), 'state': query['state']})}"
        threading.Thread(target=lambda: urllib.request.urlopen(back, timeout=5).read(), daemon=True).start()

    return tell


class IntrospectionServer:
    """RFC 7662-style endpoint for Dovecot's oauth2 passdb: POST token=… → {"active": …, "email": user}."""

    def __init__(self, tokens: set[str], user: str) -> None:
        self.asked: list[str] = []
        self.issued_to: dict[str, str] = {}  # token → another mailbox it was issued for (valid, wrong user)
        asked, issued_to = self.asked, self.issued_to

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                token = parse_qs(self.rfile.read(length).decode()).get("token", [""])[0]
                asked.append(token)
                if token in issued_to:
                    answer = {"active": True, "email": issued_to[token]}
                else:
                    answer = {"active": True, "email": user} if token in tokens else {"active": False}
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/introspect"
        # shutdown() waits for the serving loop to look again: the default is half a second per server
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self) -> IntrospectionServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
