"""Which mount holds the history, read from a mountinfo text: a bind mount within one
filesystem shares the device number of its source, so the old walk up by device named "/"
and its advice (`mount -o remount,rw /`) the wrong mount."""

from __future__ import annotations

import os
from pathlib import Path

from sitwatch.history import diagnose
from sitwatch.history.diagnose import mount_point_in

# a real system's lines (the optional fields vary), with a bind mount of a folder of the root
# filesystem onto /srv/data, one on a path with a space, and two mounts on one point
SAMPLE = b"""\
22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
25 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
26 22 0:5 / /dev rw,nosuid shared:2 - devtmpfs udev rw,size=4014136k
41 22 254:1 /home/ann/keep /srv/data ro,relatime shared:1 - ext4 /dev/vda1 rw
42 22 254:1 /home/ann/x /srv/my\\040data ro,relatime shared:1 - ext4 /dev/vda1 rw
43 22 0:40 / /srv/dat rw,relatime - tmpfs tmpfs rw
44 22 0:41 / /mnt/usb rw,relatime - vfat /dev/sda1 rw
45 44 0:42 / /mnt/usb ro,relatime - vfat /dev/sdb1 ro
"""


def test_a_bind_mount_is_named_not_the_root_it_shares_a_device_with() -> None:
    assert mount_point_in(SAMPLE, "/srv/data/history.sqlite") == "/srv/data"
    assert mount_point_in(SAMPLE, "/srv/data") == "/srv/data"
    assert mount_point_in(SAMPLE, "/home/ann/keep/history.sqlite") == "/"


def test_the_longest_whole_folder_match_wins() -> None:
    # /srv/dat is a mount too, but /srv/data/... is not inside it, nor /srv/datum
    assert mount_point_in(SAMPLE, "/srv/datum/h.sqlite") == "/"
    assert mount_point_in(SAMPLE, "/srv/dat/h.sqlite") == "/srv/dat"
    assert mount_point_in(SAMPLE, "/proc/self") == "/proc"


def test_escaped_characters_in_a_mount_point_are_read_back() -> None:
    assert mount_point_in(SAMPLE, "/srv/my data/h.sqlite") == "/srv/my data"
    assert mount_point_in(SAMPLE, "/srv/my/h.sqlite") == "/"


def test_of_two_mounts_on_one_point_the_later_is_the_one_seen() -> None:
    assert mount_point_in(SAMPLE, "/mnt/usb/h.sqlite") == "/mnt/usb"
    lines = SAMPLE.splitlines()
    # the later one is what counts: take the first of the pair away and it is still found
    assert mount_point_in(b"\n".join(lines[:-2] + lines[-1:]), "/mnt/usb/h") == "/mnt/usb"


def test_nothing_readable_gives_none() -> None:
    assert mount_point_in(b"", "/srv/data") is None
    assert mount_point_in(b"garbage\n1 2\n", "/srv/data") is None


def test_mount_point_reads_the_given_mountinfo(tmp_path: Path) -> None:
    folder = tmp_path / "keep"
    folder.mkdir()
    info = tmp_path / "mountinfo"
    info.write_bytes(b"22 1 254:1 / / rw - ext4 /dev/vda1 rw\n"
                     + f"41 22 254:1 /x {folder} rw - ext4 /dev/vda1 rw\n".encode())
    # the history need not exist yet: its nearest existing folder counts
    assert diagnose.mount_point(folder / "sub" / "history.sqlite", info) == folder


def test_without_mountinfo_the_walk_by_device_is_used(tmp_path: Path) -> None:
    missing = tmp_path / "no-mountinfo"
    found = diagnose.mount_point(tmp_path / "history.sqlite", missing)
    assert os.path.ismount(found) and str(tmp_path).startswith(str(found))
