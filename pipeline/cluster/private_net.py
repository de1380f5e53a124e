"""A local Ray instance off the network: its own network namespace, loopback only.

Ray's GCS, raylet and workers listen on every interface (`*:port`; Ray 2.60 has no setting
for the gRPC servers' bind address), so a local `runlab cluster repro` exposed them to the
lab network for the length of the run, and whoever reaches them runs code as the user (Ray's
token authentication, on by default for a new local instance, is one lock; this is the door).
Without `--address`, the driver therefore moves itself into a new network namespace before
Ray starts (Linux `unshare(CLONE_NEWNET)`; as a user other than root inside a new user
namespace that maps the user to itself) and brings its loopback interface up: the only
interface there is `lo`, so every port Ray opens is reachable from this process tree only.
Nothing a stage does needs the network (DVC and git work on local files). Where the kernel
refuses (containers without user namespaces), the driver stops and says so; `--expose-local-ray`
runs Ray on the machine's network anyway.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import socket
import struct
import threading
from pathlib import Path

from pipeline.core.errors import RunlabError

CLONE_NEWNET, CLONE_NEWUSER = 0x40000000, 0x10000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


class PrivateNetworkError(RunlabError):
    """The local Ray cannot be kept off the network on this machine."""


def interfaces() -> list[str]:
    """Network interfaces of this process's namespace (/proc/net/dev)."""
    lines = Path("/proc/net/dev").read_text().splitlines()[2:]
    return [line.split(":", 1)[0].strip() for line in lines if ":" in line]


def _unshare(flags: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(flags) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(s, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sh", b"lo", flags | IFF_UP))


def enter_private_network() -> None:
    """Move this process (and every process it starts afterwards) into a new network
    namespace with only the loopback interface, up. Call before any thread or Ray starts."""
    uid, gid = os.getuid(), os.getgid()
    try:
        if uid == 0:
            _unshare(CLONE_NEWNET)
        else:
            if threading.active_count() > 1:
                raise OSError(0, "the process already runs threads")
            _unshare(CLONE_NEWUSER | CLONE_NEWNET)
            Path("/proc/self/setgroups").write_text("deny")
            Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
            Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
        _loopback_up()
    except OSError as exc:
        raise PrivateNetworkError(
            "runlab cluster repro: cannot start the local Ray instance in a private network "
            f"namespace here ({exc.strerror or exc}); Ray would listen on every interface of "
            "this machine, where anyone who reaches it can run code as you. Either allow user "
            "namespaces (e.g. sysctl kernel.unprivileged_userns_clone=1, or run the container "
            "with them), run against a Ray cluster you started and firewalled (--address), or "
            "pass --expose-local-ray to run it on this machine's network anyway "
            "(docs/security.md)"
        ) from None
    if interfaces() != ["lo"]:
        raise PrivateNetworkError(
            f"runlab cluster repro: the private network namespace has "
            f"interfaces {interfaces()}, expected only lo"
        )
