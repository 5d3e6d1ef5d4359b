"""The file as a stream: its first bytes sniffed, hashed on the way, split into lines of bounded size.

A compressed or binary file (magic bytes) is never decompressed or parsed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from ..reasons import ReasonCode
from .report import ProblemCollector

MAX_LINE_BYTES = 1_000_000  # far above any text model's per-record limit (32k tokens ~ 200 kB)
BOM = b"\xef\xbb\xbf"
# Magic numbers of formats that are never JSONL: gzip, zip, bzip2, xz, zstd, PDF, UTF-16 BOMs, ELF.
_MAGIC = (b"\x1f\x8b", b"PK\x03\x04", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd", b"%PDF", b"\xff\xfe", b"\xfe\xff", b"\x7fELF")
_HEAD_BYTES = max(map(len, (BOM, *_MAGIC)))


class _Sha256:
    """The file's sha256, computed on a worker thread while the lines are checked.

    hashlib releases the GIL on large buffers, so on a second core the digest (~0.7 ns a byte,
    a fifth of the validator's work) costs the parsing thread nothing. One chunk is in flight
    at a time and it is the chunk being parsed anyway: memory stays flat. Small chunks are
    hashed in place: handing them over would cost more than hashing them.
    """

    THREAD_MIN_BYTES = 64 * 1024

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")  # its thread starts on first use
        self._pending: Future[None] | None = None

    def __enter__(self) -> _Sha256:
        return self

    def __exit__(self, *_: object) -> None:
        self._pool.shutdown()

    def update(self, chunk: bytes) -> None:
        self._wait()  # the digest takes the chunks in order
        if len(chunk) < self.THREAD_MIN_BYTES:
            self._digest.update(chunk)
        else:
            self._pending = self._pool.submit(self._digest.update, chunk)

    def hexdigest(self) -> str:
        self._wait()
        return self._digest.hexdigest()

    def _wait(self) -> None:
        if self._pending is not None:
            self._pending.result()
            self._pending = None


def _whole_head(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The chunks, the first one at least as long as the longest magic number: a stream that
    starts with tiny chunks (b"\xef", b"\xbb", ...) still has its BOM or magic bytes sniffed."""
    head = b""
    stream = iter(chunks)
    for chunk in stream:
        head += chunk
        if len(head) >= _HEAD_BYTES:
            break
    if head:
        yield head
    yield from stream


def _read_ahead(chunks: Iterable[bytes], digest: _Sha256) -> Iterator[bytes]:
    """The chunks as immutable bytes, each handed to the digest before the next one is read.

    The hashing thread needs the GIL to start, and a busy parsing thread gives it up only every
    5 ms (sys.getswitchinterval) or while it waits: reading the next chunk (file or socket I/O)
    is such a wait, so chunk N is hashed while it is parsed. A chunk is parsed after the next
    one is read, so a caller that reuses one buffer (readinto) must not see it mutated: copy.
    """
    ahead = None
    for chunk in chunks:
        if ahead is not None:
            yield ahead
        ahead = chunk if type(chunk) is bytes else bytes(chunk)
        digest.update(ahead)
    if ahead is not None:
        yield ahead


def read_stream(
    chunks: Iterable[bytes], max_bytes: int | None, errors: ProblemCollector, check: Callable[[bytes, int, int], None]
) -> tuple[int, str]:
    """Check the stream line by line (``check(raw, line, offset)``), hashing it on the way. Returns
    the byte count and the sha256."""
    with _Sha256() as digest:
        total = _read_lines(_read_ahead(_whole_head(chunks), digest), max_bytes, errors, check)
        sha256 = digest.hexdigest()
    return total, sha256


def _read_lines(chunks: Iterable[bytes], max_bytes: int | None, errors: ProblemCollector, check: Callable[[bytes, int, int], None]) -> int:
    """Split the stream into lines and check each one; the file-level checks on the way. Returns
    the byte count."""
    total = line_no = line_start = 0
    buffer = bytearray()  # a line that spans chunks; a line inside one chunk is sliced from it
    oversized = binary = too_large = False  # oversized: skip to the end of this line, memory stays flat
    for chunk in chunks:
        if total == 0 and chunk:
            binary = _sniff(chunk, errors)
        base, total = total, total + len(chunk)
        if max_bytes is not None and total > max_bytes and not too_large:
            errors.add(None, max_bytes, ReasonCode.DATASET_TOO_LARGE, f"the file exceeds {max_bytes} bytes")
            too_large = True
        if binary or too_large:
            continue
        start = 0
        # find() is a memchr; bytes.split(b"\n") compares byte by byte, many times slower.
        while (end := chunk.find(b"\n", start)) != -1:
            line_no += 1
            if oversized:
                oversized = False
            elif len(buffer) + end - start > MAX_LINE_BYTES:
                errors.add(line_no, line_start, ReasonCode.LINE_TOO_LONG, f"line exceeds {MAX_LINE_BYTES} bytes")
            elif buffer:
                buffer += chunk[start:end]
                check(bytes(buffer), line_no, line_start)
            else:
                check(chunk[start:end], line_no, line_start)
            buffer.clear()
            start = end + 1
            line_start = base + start
        if not oversized:
            buffer += chunk[start:]
            if len(buffer) > MAX_LINE_BYTES:
                errors.add(line_no + 1, line_start, ReasonCode.LINE_TOO_LONG, f"line exceeds {MAX_LINE_BYTES} bytes")
                oversized = True
                buffer.clear()
    if buffer and not (oversized or binary or too_large):
        check(bytes(buffer), line_no + 1, line_start)
    return total


def _sniff(first: bytes, problems: ProblemCollector) -> bool:
    """Report a BOM or a non-JSONL format from the first bytes; True = do not parse the lines."""
    if first.startswith(BOM):
        problems.add(None, 0, ReasonCode.DATASET_BOM, "the file starts with a UTF-8 byte-order mark")
    elif first.startswith(_MAGIC):
        problems.add(None, 0, ReasonCode.DATASET_COMPRESSED_OR_BINARY, "the file is compressed or binary, not JSONL")
        return True
    return False
