"""Reading and writing cassette files: vcrpy's YAML format, loaded fast, written atomically.

The format is vcrpy's own (`version: 1`, `interactions: [{request, response}]`, optional
`metadata`), so plain vcrpy and pytest-recording read mockkit cassettes and the other way round.
mockkit adds a `metadata.mockkit` mapping (recorded_at, preset, sandbox, ...), which vcrpy keeps
and otherwise ignores.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "CassetteData",
    "CassetteFormatError",
    "MockkitPerformanceWarning",
    "atomic_write",
    "dump_cassette",
    "load_cassette",
    "parse_cassette",
]

try:  # libyaml: about 6x faster than the pure-Python loader on large cassettes
    from yaml import CSafeDumper as _Dumper
    from yaml import CSafeLoader as _Loader

    HAVE_LIBYAML = True
except ImportError:  # pragma: no cover - libyaml is present on the machines we test on
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

    HAVE_LIBYAML = False


class MockkitPerformanceWarning(UserWarning):
    """Something makes cassettes slower than they should be (e.g. PyYAML without libyaml)."""


class CassetteFormatError(ValueError):
    """The file is not a readable cassette (invalid YAML or not vcrpy's layout)."""


_warned_no_libyaml = False


def _warn_no_libyaml() -> None:
    global _warned_no_libyaml
    if not HAVE_LIBYAML and not _warned_no_libyaml:
        _warned_no_libyaml = True
        warnings.warn(
            "PyYAML was built without libyaml: cassettes load with the pure-Python loader, "
            "about 6x slower. Install libyaml and reinstall PyYAML to fix it.",
            MockkitPerformanceWarning,
            stacklevel=3,
        )


@dataclass
class CassetteData:
    """A parsed cassette: its interactions (vcrpy dict layout), metadata and file digest."""

    interactions: list[dict[str, Any]]
    metadata: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""
    size: int = 0

    @property
    def mockkit(self) -> dict[str, Any]:
        """mockkit's own metadata (`metadata.mockkit`), empty for plain vcrpy cassettes."""
        value = self.metadata.get("mockkit")
        return value if isinstance(value, dict) else {}


def parse_cassette(text: str | bytes, source: str = "<cassette>") -> CassetteData:
    """Parse cassette text with the C safe loader, the garbage collector paused meanwhile.

    Pausing the collector matters: building a large YAML document allocates many containers,
    and each generation-0 collection rescans them (0.5 s vs 0.18 s for 1,000 interactions).
    """
    _warn_no_libyaml()
    raw = text.encode("utf-8") if isinstance(text, str) else text
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        try:
            data = yaml.load(raw, Loader=_Loader)  # a safe loader
        except yaml.constructor.ConstructorError:
            # An old vcrpy cassette with python/* tags: vcrpy's loader knows those few tags.
            from vcr.serializers import yamlserializer

            data = yamlserializer.deserialize(raw.decode("utf-8"))
        except yaml.YAMLError as exc:
            raise CassetteFormatError(f"{source}: not valid YAML: {exc}") from None
    finally:
        if was_enabled:
            gc.enable()
    if data is None:
        data = {"interactions": []}
    if not isinstance(data, dict) or not isinstance(data.get("interactions", []), list):
        raise CassetteFormatError(
            f"{source}: not a vcrpy cassette (expected a mapping with an 'interactions' list)"
        )
    interactions = data.get("interactions") or []
    for index, item in enumerate(interactions):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("request"), dict)
            or not isinstance(item.get("response"), dict)
        ):
            raise CassetteFormatError(
                f"{source}: interaction #{index} lacks a request/response mapping"
            )
        status = item["response"].get("status")
        code = status.get("code", 200) if isinstance(status, dict) else status
        if status is not None and not (
            isinstance(code, int | str) and not isinstance(code, bool) and _is_status(code)
        ):
            # Replay would otherwise fail with a bare ValueError on the first request.
            raise CassetteFormatError(
                f"{source}: interaction #{index} has status {code!r}, not an HTTP status code"
            )
        for side in ("request", "response"):
            part = item[side]
            body = part.get("body")
            content = body.get("string") if isinstance(body, dict) else body
            if not isinstance(part.get("headers") or {}, dict) or not isinstance(
                content, str | bytes | type(None)
            ):
                raise CassetteFormatError(
                    f"{source}: interaction #{index} has {side} headers that are not a mapping "
                    "or a body that is not text"
                )
    metadata = data.get("metadata") or {}
    return CassetteData(
        interactions=interactions,
        metadata=metadata if isinstance(metadata, dict) else {},
        sha256=hashlib.sha256(raw).hexdigest(),
        size=len(raw),
    )


def _is_status(code: int | str) -> bool:
    text = str(code)
    return len(text) == 3 and text.isascii() and text.isdigit() and 100 <= int(text) <= 599


def load_cassette(path: str | os.PathLike[str]) -> CassetteData:
    """Load a cassette file; raises `FileNotFoundError` or `CassetteFormatError`."""
    raw = Path(path).read_bytes()
    return parse_cassette(raw, source=os.fspath(path))


def dump_cassette(interactions: list[dict[str, Any]], metadata: dict[str, Any]) -> str:
    """Serialise interactions (vcrpy dict layout) and metadata as vcrpy-compatible YAML.

    Lines are not folded (`width` very large): a token split across two lines by the emitter
    would slip past a text scan, and one-line JSON bodies diff better in review.
    """
    data: dict[str, Any] = {"interactions": interactions, "version": 1}
    if metadata:
        data["metadata"] = metadata
    text: str = yaml.dump(data, Dumper=_Dumper, width=1_000_000, allow_unicode=True, sort_keys=True)
    return text


@contextlib.contextmanager
def _directory_lock(directory: Path) -> Iterator[None]:
    """An exclusive advisory lock on `directory`, so two workers never interleave a save.

    flock on the directory itself leaves no lock file behind. Where fcntl is missing (Windows)
    the atomic rename alone still guarantees nobody reads a half-written file.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextlib.contextmanager
def locked(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the save lock of the directory that holds `path` (created if missing)."""
    directory = Path(path).parent
    directory.mkdir(parents=True, exist_ok=True)
    with _directory_lock(directory):
        yield


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: Permissions of a new cassette: what `open()` would give (mkstemp's temp files are 0600).
_NEW_FILE_MODE = 0o666 & ~_current_umask()


def atomic_write(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` to `path` through a temporary file in the same directory and a rename.

    A reader (another worker, a crashed run, `git diff`) sees the old file or the new one,
    never a truncated mix.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            mode = target.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = _NEW_FILE_MODE
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
