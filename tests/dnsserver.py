"""A tiny authoritative-looking DNS server on 127.0.0.1 (UDP) that answers TXT queries from a table.

It lets the tests run the tool's real resolver path (dnspython, the AD flag, who answered) without real DNS:
``ad=True`` plays a validating resolver that vouches for the answer."""

from __future__ import annotations

import socket
import threading

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class TestDNS:
    __test__ = False

    def __init__(self, records: dict[str, bytes], *, ad: bool = True) -> None:
        self.records = {name.lower().rstrip(".") + ".": value for name, value in records.items()}
        self.ad = ad
        self.asked: list[str] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                wire, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            if self._stop:
                return
            query = dns.message.from_wire(wire)
            response = dns.message.make_response(query)
            question = query.question[0]
            name = question.name.to_text().lower()
            self.asked.append(name)
            value = self.records.get(name)
            if value is None or question.rdtype != dns.rdatatype.TXT:
                response.set_rcode(dns.rcode.NXDOMAIN)
            else:
                chunks = " ".join(f'"{value[i:i + 255].decode()}"' for i in range(0, len(value), 255))
                response.answer.append(dns.rrset.from_text(name, 300, dns.rdataclass.IN, dns.rdatatype.TXT, chunks))
                if self.ad and query.flags & dns.flags.AD:
                    response.flags |= dns.flags.AD
            self.sock.sendto(response.to_wire(), peer)

    def __enter__(self) -> TestDNS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        # wake the loop now rather than at its next timeout (a fifth of a second, per server)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as waker:
            waker.sendto(b"", ("127.0.0.1", self.port))
        self._thread.join(2)
        self.sock.close()
