"""DKIM's ``l=``: a signature may cover only the first bytes of the body, and whatever follows is anyone's text.

Decided from the mail alone (no key): a signature that leaves a tail is never a complete one."""

from __future__ import annotations


def unsigned_tail(raw: bytes, index: int, length: int | None) -> bool:
    """Does the body go on after signature ``index``'s l= ``length`` (after that signature's canonicalisation)?"""
    if length is None:
        return False
    import dkim
    from dkim.canonicalization import CanonicalizationPolicy
    from dkim.util import parse_tag_value

    try:
        message = dkim.DKIM(raw)
        value = [v for n, v in message.headers if n.lower() == b"dkim-signature"][index]
        policy = CanonicalizationPolicy.from_c_value(parse_tag_value(value).get(b"c", b"simple/simple"))
        return len(policy.canonicalize_body(message.body)) > length
    except Exception:  # unreadable: treat as a tail, never as a complete signature
        return True
