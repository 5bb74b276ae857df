"""One form's .xlsx bytes from its template's zip parts: the fixed parts copied as they are
stored, the parts with markers deflated from pieces made once per template.

A part that varies is its literals and markers, in turn. Per form, every marker is replaced by
its value in one pass (``map`` over the pieces, no Python loop per piece) and the CRC is taken
once over the whole part. Its deflate stream is spliced: each long literal as deflate blocks made
once (ending in a full flush, so nothing refers back past them), the rest (this form's strings
and the short literals between them) as stored blocks.

A span of a part whose markers are only row heights (most of the score sheet) comes out the same
for most forms of a shape, the heights being those of names that fit one line: it is deflated
once per set of heights and kept (``CACHED`` sets at most per span), the same bytes for every
such form.
"""
from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass, field

LONG = 512  # literals at least this long are deflated once, in the template
CACHED = 64  # sets of heights kept per part; more are rendered as any varying part is
_FINAL = b"\x03\x00"  # an empty final block (fixed Huffman): ends the deflate stream
_STORED = struct.Struct("<BHH")  # a stored block's header: not final, type 00, LEN, NLEN


@dataclass(frozen=True)
class Part:
    """One zip member of a template: fixed (``segments`` None: ``data`` as stored, with its
    ``crc`` and ``size``) or varying (``segments``: literal, marker, literal, …, literal, deflated
    run by run, ``runs``)."""
    info: zipfile.ZipInfo
    data: bytes = b""
    crc: int = 0
    size: int = 0
    segments: tuple[bytes, ...] | None = None
    runs: tuple[_Run, ...] = ()
    markers: frozenset[bytes] = frozenset()
    header: tuple = ()  # the zip headers' fields that do not vary: name, flags, method, time, date


@dataclass(frozen=True)
class _Run:
    """Segments ``start:end`` of a part: one long literal deflated once (``packed``); or a span
    whose markers are all row heights (``heights``: those markers), deflated once per set of
    heights and kept in ``kept``; or else (this form's strings, short literals) stored."""
    start: int
    end: int
    packed: bytes | None = None
    heights: tuple[bytes, ...] = ()
    kept: dict = field(default_factory=dict, compare=False)


def fixed_part(info: zipfile.ZipInfo, stored: bytes) -> Part:
    return Part(info, stored, info.CRC, info.file_size, header=_header(info, info.compress_type))


def varying_part(info: zipfile.ZipInfo, segments: tuple[bytes, ...], is_height) -> Part:
    """``segments``: literal, marker, …, literal; ``is_height(marker)``: it stands for a row height."""
    return Part(info, segments=segments, runs=_runs(segments, is_height), markers=frozenset(segments[1::2]),
                header=_header(info, zipfile.ZIP_DEFLATED))


def _runs(segments: tuple[bytes, ...], is_height) -> tuple[_Run, ...]:
    """The part cut into runs: each span of literals and heights markers, each long literal
    between other markers, and what is left between them (stored, merged)."""
    runs: list[_Run] = []

    def store(start, end):  # merged into the stored run before it, if any
        if runs and runs[-1].packed is None and not runs[-1].heights and runs[-1].end == start:
            runs[-1] = _Run(runs[-1].start, end)
        else:
            runs.append(_Run(start, end))

    at, last = 0, len(segments) - 1
    while at <= last:  # ``at``: a literal
        end = at
        while end < last and is_height(segments[end + 1]):
            end += 2
        if end > at:
            runs.append(_Run(at, end + 1, heights=segments[at + 1:end:2]))
        elif len(segments[at]) >= LONG:
            runs.append(_Run(at, at + 1, packed=_packed(segments[at])))
        else:
            store(at, at + 1)
        if end < last:
            store(end + 1, end + 2)  # a marker no set of heights stands for
        at = end + 2
    return tuple(runs)


def _header(info: zipfile.ZipInfo, method: int) -> tuple:
    name = info.filename.encode("utf-8")
    return (name, 0 if name.isascii() else 0x800, method, *_dos_time(info))


def render(parts: tuple[Part, ...], values: dict[bytes, bytes]) -> bytes:
    """The form's whole .xlsx file; ``values`` must hold every marker of the parts."""
    out = ZipOut()
    for part in parts:
        if part.segments is None:
            out.add(part.header, part.data, part.crc, part.size)
        else:
            out.add(part.header, *deflated(part, values))
    return out.finish()


def deflated(part: Part, values: dict[bytes, bytes]) -> tuple[bytes, int, int]:
    """(deflated body, crc32, size) of a varying part for this form's ``values``."""
    if not part.markers <= values.keys():
        raise KeyError(f"no value for {sorted(part.markers - values.keys())}")
    pieces = list(map(values.get, part.segments, part.segments))  # a literal is no marker: itself
    blocks = []
    for run in part.runs:
        if run.packed is not None:
            blocks.append(run.packed)
        elif run.heights:
            heights = tuple(map(values.__getitem__, run.heights))
            found = run.kept.get(heights)
            if found is None:
                body = b"".join(pieces[run.start:run.end])
                if len(run.kept) >= CACHED:  # heights that vary form by form: not kept
                    found = _stored(body)
                else:
                    found = run.kept[heights] = _packed(body)
            blocks.append(found)
        else:
            blocks.append(_stored(b"".join(pieces[run.start:run.end])))
    blocks.append(_FINAL)
    body = b"".join(pieces)
    return b"".join(blocks), zlib.crc32(body), len(body)


def _packed(data: bytes) -> bytes:
    """``data`` as deflate blocks ending in a full flush: byte-aligned, nothing after them refers
    back into them, so any block may follow."""
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(zlib.Z_FULL_FLUSH)


def _stored(data: bytes) -> bytes:
    """``data`` as deflate stored blocks (kept as they are, no compression: a form's own strings
    are a few hundred bytes, and compressing them cost more than all else in a rendering). Every
    packed block ends byte-aligned (its full flush), where a stored block may begin."""
    if len(data) <= 0xFFFF:
        return _STORED.pack(0, len(data), len(data) ^ 0xFFFF) + data
    return b"".join(_STORED.pack(0, len(c), len(c) ^ 0xFFFF) + c
                    for c in (data[at:at + 0xFFFF] for at in range(0, len(data), 0xFFFF)))


# -- a minimal zip writer that can copy a member's deflated bytes unchanged ---------------------

def raw_member(raw: bytes, info: zipfile.ZipInfo) -> bytes:
    """A member's stored (compressed) bytes, read past its local header."""
    at = info.header_offset
    name_len = int.from_bytes(raw[at + 26:at + 28], "little")
    extra_len = int.from_bytes(raw[at + 28:at + 30], "little")
    start = at + 30 + name_len + extra_len
    return raw[start:start + info.compress_size]


_LOCAL = struct.Struct("<4s5H3L2H")  # signature, version, flags, method, time, date, crc, sizes, name, extra
_CENTRAL = struct.Struct("<4s6H3L5H2L")


def _dos_time(info: zipfile.ZipInfo) -> tuple[int, int]:
    dt = info.date_time
    return dt[3] << 11 | dt[4] << 5 | dt[5] // 2, (dt[0] - 1980) << 9 | dt[1] << 5 | dt[2]


@dataclass
class ZipOut:
    """Writes members in order, each given as already deflated (or stored) bytes."""
    _chunks: list[bytes] = field(default_factory=list)
    _central: list[bytes] = field(default_factory=list)
    _offset: int = 0

    def add(self, header: tuple, data: bytes, crc: int, size: int) -> None:
        """A member: ``header`` (name, flags, method, time, date) and its bytes as stored."""
        name, flags, method, time, date = header
        local = _LOCAL.pack(b"PK\x03\x04", 20, flags, method, time, date, crc, len(data), size, len(name), 0)
        self._central.append(_CENTRAL.pack(b"PK\x01\x02", 20, 20, flags, method, time, date, crc, len(data), size,
                                           len(name), 0, 0, 0, 0, 0, self._offset) + name)
        self._chunks += [local, name, data]
        self._offset += len(local) + len(name) + len(data)

    def finish(self) -> bytes:
        central = b"".join(self._central)
        count = len(self._central)
        end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(central), self._offset, 0)
        return b"".join(self._chunks) + central + end
