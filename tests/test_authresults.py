"""Authentication-Results parsed with a real grammar: authres for the standard form, our tokenizer for Outlook.com's
form without an authserv-id; quoted strings and comments never split a result."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verifier.recognise.authresults import AuthResult, parse, parse_arc

IG = "mail.instagram.com"


def test_gmails_form_has_its_authserv_id():
    header = parse(
        "mx.google.com;\r\n       dkim=pass header.i=@mail.instagram.com header.s=s1 header.b=Xy;\r\n"
        "       spf=pass (google.com: domain of a@b designates 1.2.3.4 as permitted sender) smtp.mailfrom=a@b;\r\n"
        "       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=mail.instagram.com"
    )
    assert header is not None and header.authserv_id == "mx.google.com"
    assert [(r.method, r.result) for r in header.results] == [("dkim", "pass"), ("spf", "pass"), ("dmarc", "pass")]
    assert header.results[0].props["header.i"] == "@mail.instagram.com"


def test_outlooks_form_has_none():
    header = parse(
        "spf=pass (sender IP is 66.220.144.1) smtp.mailfrom=x.com; dkim=pass (signature was verified) "
        f"header.d={IG};dmarc=pass action=none header.from={IG};compauth=pass reason=100"
    )
    assert header is not None and header.authserv_id == ""
    assert AuthResult("dkim", "pass", {"header.d": IG}) in header.results
    assert header.results[-1] == AuthResult("compauth", "pass", {"reason": "100"})


@pytest.mark.parametrize(
    "value",
    [
        f'mx.google.com; dkim=fail reason="x; dkim=pass header.d={IG}" header.d=evil.example',
        f"mx.google.com; dkim=fail (x; dkim=pass header.d={IG}) header.d=evil.example",
        f"mx.google.com; dkim=fail (a (b; dkim=pass header.d={IG}) c) header.d=evil.example",
        f'mx.google.com; dkim=fail reason="a\\"; dkim=pass header.d={IG}" header.d=evil.example',
        f"spf=fail (x; dkim=pass header.d={IG}) smtp.mailfrom=e.example; dkim=fail header.d=evil.example",
        f'spf=fail reason="; dkim=pass header.d={IG}" smtp.mailfrom=e.example; dkim=fail header.d=evil.example',
    ],
)
def test_no_pass_is_read_out_of_quotes_or_comments(value: str):
    header = parse(value)
    assert header is not None
    assert not any(r.result == "pass" and r.method == "dkim" for r in header.results)
    assert any(r.method == "dkim" and r.props.get("header.d") == "evil.example" for r in header.results)


def test_a_header_that_authres_refuses_is_read_by_the_tokenizer():
    header = parse("mx.example.net; dkim=pass header.d=mail.instagram.com weird-token; dmarc=pass header.from=x")
    assert header is not None and header.authserv_id == "mx.example.net"
    assert header.results[0].method == "dkim"


def test_arc_records_give_their_instance():
    instance, header = parse_arc(f"i=3; mx.google.com; dkim=pass header.i=@{IG}")
    assert instance == 3 and header is not None and header.authserv_id == "mx.google.com"
    assert parse_arc("mx.google.com; dkim=pass") == (0, None)


def test_an_absurdly_long_header_is_not_read():
    assert parse("mx.google.com; " + "dkim=pass header.d=x; " * 2000) is None


@given(st.text(max_size=300))
def test_any_text_parses_without_raising(value: str):
    parse(value)
    parse_arc(value)
