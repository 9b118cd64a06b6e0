"""The baseline a user would otherwise script: search Meta's senders, download every match whole, one FETCH per
message (as an imap_tools-style loop does), grep for the confirmation. Read-only, like the tool (EXAMINE + PEEK).

Usage: python bench/naive.py HOST PORT USER PASSWORD
"""

from __future__ import annotations

import sys

from imapclient import IMAPClient

DOMAINS = ["facebookmail.com", "instagram.com", "facebook.com", "meta.com", "metamail.com"]
PHRASES = [b"Einspruch an", b"honour your objection", b"honor your objection"]


def main(host: str, port: int, user: str, password: str) -> None:
    client = IMAPClient(host, port=port, ssl=False, timeout=60)
    client.login(user, password)
    criteria: list[object] = []
    for index, domain in enumerate(DOMAINS):
        criteria += (["OR"] if index < len(DOMAINS) - 1 else []) + ["FROM", domain]
    hits = 0
    for _flags, _delimiter, folder in client.list_folders():
        client.select_folder(folder, readonly=True)
        for uid in client.search(criteria):
            raw = client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
            hits += any(phrase in raw for phrase in PHRASES)
    client.logout()
    print(hits)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])
