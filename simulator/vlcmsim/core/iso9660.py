"""A small ISO 9660 (ECMA-119) image writer, standard library only: a primary volume descriptor, L and M
path tables, directories and files, interchange level 1 names (8.3, upper case, `;1`). Deterministic: the same
files and date give the same bytes.

    data = build_iso("ESXI_8_0_3", {"BOOT.CFG": b"...", "EFI/BOOT/BOOTX64.EFI": b"..."}, (2025, 4, 10, 0, 0, 0))
"""

from __future__ import annotations

import re
import struct

SECTOR = 2048
_NAME = re.compile(r"^[A-Z0-9_]{1,8}(\.[A-Z0-9_]{0,3})?$")
_DIR = re.compile(r"^[A-Z0-9_]{1,8}$")


class IsoError(ValueError):
    pass


def _both16(v: int) -> bytes:
    return struct.pack("<H", v) + struct.pack(">H", v)


def _both32(v: int) -> bytes:
    return struct.pack("<I", v) + struct.pack(">I", v)


def _pad(text: str, size: int) -> bytes:
    raw = text.encode("ascii")[:size]
    return raw + b" " * (size - len(raw))


def _sectors(size: int) -> int:
    return max(1, -(-size // SECTOR))


def _record(ident: bytes, extent: int, size: int, is_dir: bool, when: tuple[int, ...]) -> bytes:
    date = bytes([when[0] - 1900, when[1], when[2], when[3], when[4], when[5], 0])
    body = (bytes([0]) + _both32(extent) + _both32(size) + date + bytes([0x02 if is_dir else 0x00, 0, 0])
            + _both16(1) + bytes([len(ident)]) + ident)
    rec = body + (b"\x00" if len(ident) % 2 == 0 else b"")
    return bytes([len(rec) + 1]) + rec


def _vd_date(when: tuple[int, ...]) -> bytes:
    return b"%04d%02d%02d%02d%02d%02d00" % when[:6] + b"\x00"


class _Dir:
    def __init__(self, name: str, parent: _Dir | None) -> None:
        self.name = name
        self.parent = parent
        self.dirs: dict[str, _Dir] = {}
        self.files: dict[str, bytes] = {}
        self.extent = 0
        self.size = 0
        self.number = 0

    def records(self, when: tuple[int, ...], file_extents: dict[tuple[int, str], int]) -> list[bytes]:
        parent = self.parent or self
        out = [_record(b"\x00", self.extent, self.size, True, when),
               _record(b"\x01", parent.extent, parent.size, True, when)]
        entries: list[tuple[bytes, bytes]] = []
        for name, d in self.dirs.items():
            entries.append((name.encode(), _record(name.encode(), d.extent, d.size, True, when)))
        for name, data in self.files.items():
            ident = (name if "." in name else name + ".").encode() + b";1"
            entries.append((ident, _record(ident, file_extents[(self.number, name)], len(data), False, when)))
        out.extend(rec for _ident, rec in sorted(entries))
        return out


def _layout(records: list[bytes]) -> int:
    """Bytes a directory's records take: a record never crosses a sector boundary."""
    used = 0
    for rec in records:
        if used % SECTOR + len(rec) > SECTOR:
            used += SECTOR - used % SECTOR
        used += len(rec)
    return _sectors(used) * SECTOR


def _pack_dir(records: list[bytes], size: int) -> bytes:
    out = bytearray()
    for rec in records:
        if len(out) % SECTOR + len(rec) > SECTOR:
            out += b"\x00" * (SECTOR - len(out) % SECTOR)
        out += rec
    return bytes(out) + b"\x00" * (size - len(out))


def build_iso(volume_id: str, files: dict[str, bytes], when: tuple[int, int, int, int, int, int]) -> bytes:
    """The ISO 9660 image holding `files` (path -> bytes; '/' separates directories)."""
    if not re.fullmatch(r"[A-Z0-9_]{1,32}", volume_id):
        raise IsoError(f"volume identifier {volume_id!r}: 1-32 of A-Z 0-9 _")
    root = _Dir("", None)
    for path, data in sorted(files.items()):
        *dirs, name = path.split("/")
        node = root
        for part in dirs:
            if not _DIR.match(part):
                raise IsoError(f"{path}: directory name {part!r} is not an ISO 9660 level 1 name")
            node = node.dirs.setdefault(part, _Dir(part, node))
        if not _NAME.match(name):
            raise IsoError(f"{path}: file name {name!r} is not an ISO 9660 level 1 (8.3) name")
        node.files[name] = bytes(data)
    # directories in path table order: by level, then by parent number, then by name
    order: list[_Dir] = [root]
    level = [root]
    while level:
        nxt: list[_Dir] = []
        for d in level:
            nxt.extend(d.dirs[n] for n in sorted(d.dirs))
        order.extend(nxt)
        level = nxt
    for num, d in enumerate(order, start=1):
        d.number = num

    def path_table(big: bool) -> bytes:
        out = bytearray()
        fmt32, fmt16 = (">I", ">H") if big else ("<I", "<H")
        for d in order:
            ident = d.name.encode() if d.parent else b"\x00"
            out += bytes([len(ident), 0]) + struct.pack(fmt32, d.extent) + \
                struct.pack(fmt16, d.parent.number if d.parent else 1) + ident
            if len(ident) % 2:
                out += b"\x00"
        return bytes(out)

    pt_size = len(path_table(False))
    pt_sectors = _sectors(pt_size)
    l_table, m_table = 18, 18 + pt_sectors
    lba = m_table + pt_sectors
    # sizes of directories need only the record lengths, not the extents
    all_files = [(d, n) for d in order for n in sorted(d.files)]
    fake = {(d.number, n): 0 for d, n in all_files}
    for d in order:
        d.size = _layout(d.records((2000, 1, 1, 0, 0, 0), fake))
    for d in order:
        d.extent = lba
        lba += d.size // SECTOR
    file_extents: dict[tuple[int, str], int] = {}
    file_data: list[bytes] = []
    for d, n in all_files:
        data = d.files[n]
        file_extents[(d.number, n)] = lba
        file_data.append(data)
        lba += _sectors(len(data))
    total = lba
    pvd = bytearray(SECTOR)
    pvd[0:8] = b"\x01CD001\x01\x00"
    pvd[8:40] = _pad("VMKERNEL", 32)
    pvd[40:72] = _pad(volume_id, 32)
    pvd[80:88] = _both32(total)
    pvd[120:124] = _both16(1)
    pvd[124:128] = _both16(1)
    pvd[128:132] = _both16(SECTOR)
    pvd[132:140] = _both32(pt_size)
    pvd[140:144] = struct.pack("<I", l_table)
    pvd[148:152] = struct.pack(">I", m_table)
    pvd[156:190] = _record(b"\x00", root.extent, root.size, True, when)
    pvd[190:318] = _pad(volume_id, 128)
    pvd[318:446] = _pad("VMWARE", 128)
    pvd[446:574] = _pad("VLCMSIM", 128)
    pvd[574:702] = _pad("ESXI IMAGE", 128)
    pvd[702:813] = b" " * 111
    pvd[813:830] = _vd_date(when)
    pvd[830:847] = _vd_date(when)
    pvd[847:864] = b"0" * 16 + b"\x00"
    pvd[864:881] = _vd_date(when)
    pvd[881] = 1
    terminator = bytearray(SECTOR)
    terminator[0:7] = b"\xffCD001\x01"
    out = bytearray(16 * SECTOR)
    out += pvd + terminator
    for big in (False, True):
        table = path_table(big)
        out += table + b"\x00" * (pt_sectors * SECTOR - len(table))
    for d in order:
        out += _pack_dir(d.records(when, file_extents), d.size)
    for data in file_data:
        out += data + b"\x00" * (_sectors(len(data)) * SECTOR - len(data))
    assert len(out) == total * SECTOR
    return bytes(out)
