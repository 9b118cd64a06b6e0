"""The two interactive Microsoft sign-ins, and falling back from one to the other when Microsoft refuses it.

"code": authorization code + PKCE (MSAL builds the verifier and checks the nonce); the person opens one address,
signs in and pastes the address the browser lands on, so it works over SSH and without a local web server.
"device": a short code typed in at microsoft.com/devicelogin. Which of them Microsoft allows for a public client may
change without notice, hence the fallback.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from verifier.errors import AuthError, Worded
from verifier.i18n import Texts
from verifier.signin.oauth.clients import OAuthClient
from verifier.signin.oauth.landing import parse_landing
from verifier.signin.secrets import remember_secret

SCOPES = ["https://outlook.office.com/IMAP.AccessAsUser.All"]  # MSAL adds offline_access itself and refuses it here
PASTE_TRIES = 3
# Answers that mean "this client may not sign in this way" (RFC 6749 4.1.2.1/5.2, RFC 8628 3.5), not "you said no".
REFUSED = {"unauthorized_client", "invalid_client", "unsupported_response_type", "unsupported_grant_type",
           "invalid_request", "invalid_scope", "temporarily_unavailable", "server_error"}  # fmt: skip
DECLINED = {"access_denied", "authorization_declined", "consent_required"}


class FlowRefused(Exception):
    """Microsoft refused this way of signing in for this client; the message is Microsoft's reason, shortened."""


def said(answer: dict) -> str:
    text = str(answer.get("error_description") or answer.get("error") or "no reason given")
    line = text.replace("+", " ").splitlines()[0] if text.strip() else "no reason given"
    # A pasted address is typed-in text: no terminal control characters reach the screen from it.
    return "".join(c for c in line if c.isprintable())[:200]


def _failed(answer: dict) -> Exception:
    error = str(answer.get("error") or "")
    if error in REFUSED or "AADSTS7000112" in said(answer) or "AADSTS700016" in said(answer):
        return FlowRefused(said(answer))
    if error in DECLINED:
        return AuthError(key="signin.declined", reason=said(answer))
    return AuthError(key="signin.failed", reason=said(answer))


def code_flow(app, client: OAuthClient, username: str, t: Texts, tell: Callable[[str], None],
              paste: Callable[[str], str | None]) -> dict:  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "form_post is recommended": a pasted address cannot be a POST
        flow = app.initiate_auth_code_flow(
            SCOPES, redirect_uri=client.redirect_uri, login_hint=username or None, prompt="select_account"
        )
    tell(t("signin.code_open", url=flow["auth_uri"], user=username, redirect=client.redirect_uri))
    answer = _landing(client.redirect_uri, t, tell, paste)
    if answer.get("state") != flow["state"] and (answer.get("state") or "code" in answer):
        # Not the answer to this sign-in: a stale tab, or an address someone else sent. Never redeemed.
        raise AuthError(key="signin.state_mismatch")
    if "code" not in answer:
        raise _failed(answer)
    remember_secret(answer["code"])
    result = app.acquire_token_by_auth_code_flow(flow, answer, scopes=SCOPES)
    if "access_token" not in result:
        raise _failed(result)
    return result


def _landing(redirect_uri: str, t: Texts, tell: Callable[[str], None],
             paste: Callable[[str], str | None]) -> dict[str, str]:  # fmt: skip
    for _ in range(PASTE_TRIES):
        text = paste(t("signin.code_paste"))
        if text is None:  # end of input: nobody there to paste
            break
        answer = parse_landing(text, redirect_uri)
        if answer is not None:
            return answer
        tell(t("signin.code_not_landing", redirect=redirect_uri))
    raise AuthError(key="signin.code_no_answer")


def device_flow(app, t: Texts, tell: Callable[[str], None]) -> dict:
    flow = app.initiate_device_flow(scopes=SCOPES)
    if "user_code" not in flow:
        raise FlowRefused(said(flow))  # nobody has done anything yet: whatever the reason, this way is closed
    tell(t("signin.device", message=flow["message"]))
    result = app.acquire_token_by_device_flow(flow)
    if "access_token" not in result:
        raise _failed(result)
    return result


def interactive_sign_in(app, client: OAuthClient, username: str, t: Texts, tell: Callable[[str], None],
                        paste: Callable[[str], str | None]) -> dict:  # fmt: skip
    """The client's flows in order; a refusal moves on to the next with one line saying so."""
    refusals: list[str] = []
    for position, flow in enumerate(client.flows):
        try:
            if flow == "code":
                return code_flow(app, client, username, t, tell, paste)
            return device_flow(app, t, tell)
        except FlowRefused as refused:
            refusals.append(f"{flow}: {refused}")
            if position + 1 < len(client.flows):
                tell(t(f"signin.fallback_{client.flows[position + 1]}", reason=str(refused)))
    raise AuthError(key="signin.refused_all", reasons="; ".join(refusals), advice=Worded(_advice(client)))


def _advice(client: OAuthClient) -> Callable[[str], str]:
    def say(lang: str) -> str:
        t = Texts(lang)
        if client.key == "own":  # its label is the English words "your app registration": said in the user's language
            return t("signin.refused_own", label=t("signin.own_app"))
        return t("signin.refused_public", label=client.label)

    return say
