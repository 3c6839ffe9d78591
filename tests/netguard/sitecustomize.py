"""Network guard for chapter kernels: with NNBOOK_NO_NETWORK=1, any attempt to reach a host other
than this machine raises `NetworkBlocked`. `book.py` and `tests/conftest.py` put this folder on
PYTHONPATH, so every kernel that runs a chapter (site build, nbval) starts with the guard in place.
"""

import ipaddress
import os
import socket

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


class NetworkBlocked(ConnectionRefusedError):
    """Raised when a chapter tries to use the network, which the book forbids at run time."""


def _is_local(host):
    if isinstance(host, bytes):
        host = host.decode()
    host = str(host).strip("[]")
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _install():
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def _check(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            raise NetworkBlocked(f"nnbook: network access is blocked while chapters run "
                                 f"(tried to reach {address[0]}:{address[1]})")

    def connect(self, address):
        _check(self, address)
        return real_connect(self, address)

    def connect_ex(self, address):
        _check(self, address)
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not _is_local(host):
            raise NetworkBlocked(f"nnbook: network access is blocked while chapters run "
                                 f"(tried to look up {host!r})")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
    socket.getaddrinfo = getaddrinfo
    socket.NetworkBlocked = NetworkBlocked


if os.environ.get("NNBOOK_NO_NETWORK") == "1":
    _install()
