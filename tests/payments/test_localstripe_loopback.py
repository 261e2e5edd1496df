"""The local fake Stripe keeps to the loopback: its own start listens on every interface,
where anyone on the developer's network could read and make its payments."""

from __future__ import annotations

from pathlib import Path

LISTEN = "0A"  # /proc/net/tcp's state of a listening socket


def listening_addresses(port: int) -> set[str]:
    """The local addresses (hex, as the kernel writes them) listening on `port`."""
    found = set()
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        if not table.exists():  # a host without IPv6
            continue
        for line in table.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.rpartition(":")
            if state == LISTEN and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_localstripe_listens_on_the_loopback_only(localstripe):
    assert listening_addresses(localstripe.port) == {"0100007F"}  # 127.0.0.1, nothing else
