"""The baseline a user would otherwise script with imapclient: in every folder, search Meta's senders and download
every match whole (batches of 250 UIDs per FETCH, as Dovecot's line limit allows), then grep for the confirmation.
One command at a time, each answer awaited. Read-only, like the tool (EXAMINE + PEEK).

Usage: python bench/naive.py HOST PORT USER PASSWORD
"""

from __future__ import annotations

import sys

from imapclient import IMAPClient

DOMAINS = ["facebookmail.com", "instagram.com", "facebook.com", "meta.com", "metamail.com"]
PHRASES = [b"Einspruch an", b"honour your objection", b"honor your objection"]
BATCH = 250


def main(host: str, port: int, user: str, password: str) -> None:
    client = IMAPClient(host, port=port, ssl=False, timeout=60)
    client.login(user, password)
    criteria: list[object] = []
    for index, domain in enumerate(DOMAINS):
        criteria += (["OR"] if index < len(DOMAINS) - 1 else []) + ["FROM", domain]
    hits = 0
    for flags, _delimiter, folder in client.list_folders():
        if b"\\Noselect" in flags:
            continue
        client.select_folder(folder, readonly=True)
        uids = client.search(criteria)
        for start in range(0, len(uids), BATCH):
            for data in client.fetch(uids[start : start + BATCH], ["BODY.PEEK[]"]).values():
                hits += any(phrase in data[b"BODY[]"] for phrase in PHRASES)
    client.logout()
    print(hits)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])
