"""Where uploaded files live. Workers reach files only through this interface, so the store can
change (a local folder by default, an S3-compatible bucket by configuration) without touching the
web layer or the jobs."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator, Callable, Iterator, Protocol

Inspect = Callable[[Path], None]
"""Looks at a complete upload before it is kept (e.g. sniffs its type); raising refuses it."""

_KEY = re.compile(r"^[0-9a-f]{32}(\.[a-z0-9]{1,8})?$")


class TooLarge(Exception):
    """The stream exceeded the size limit; nothing was kept."""


@dataclass(frozen=True)
class Stored:
    key: str
    size_bytes: int
    sha256: str


class Storage(Protocol):
    async def put_stream(self, chunks: AsyncIterator[bytes], suffix: str, max_bytes: int,
                         inspect: Inspect) -> Stored: ...

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]: ...

    def copy(self, key: str) -> str: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


def new_key(suffix: str) -> str:
    """A random stored name: never the uploader's file name, so names cannot reach the file system."""
    ext = suffix.lower() if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix or "") else ""
    return secrets.token_hex(16) + ext


class LocalStorage:
    """Files in one folder under random names, written to a temporary name, synced, then renamed,
    so a file is either complete on disk or absent."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        if not _KEY.fullmatch(key):
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key[:2] / key

    async def put_stream(self, chunks: AsyncIterator[bytes], suffix: str, max_bytes: int,
                         inspect: Inspect) -> Stored:
        key = new_key(suffix)
        final = self._path(key)
        final.parent.mkdir(exist_ok=True)
        tmp = final.with_name(".part-" + final.name)  # keeps the suffix, which sniffing reads
        try:
            with tmp.open("wb") as fh:
                size, digest = await _receive(chunks, fh, max_bytes)
                await asyncio.to_thread(os.fsync, fh.fileno())  # a sync can take long: not on the event loop
            inspect(tmp)
            os.replace(tmp, final)
            await asyncio.to_thread(_fsync_dir, final.parent)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return Stored(key, size, digest)

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(f"stored file {key} is missing")
        yield path

    def copy(self, key: str) -> str:
        src = self._path(key)
        new = new_key(Path(key).suffix)
        dst = self._path(new)
        dst.parent.mkdir(exist_ok=True)
        tmp = dst.with_name(dst.name + ".part")
        with src.open("rb") as fin, tmp.open("wb") as fout:
            while block := fin.read(1 << 20):
                fout.write(block)
            fout.flush()
            os.fsync(fout.fileno())
        os.replace(tmp, dst)
        _fsync_dir(dst.parent)
        return new

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


async def _receive(chunks: AsyncIterator[bytes], fh, max_bytes: int) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    digest = hashlib.sha256()
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge()
        digest.update(chunk)
        fh.write(chunk)
    fh.flush()
    return size, digest.hexdigest()


class S3Storage:
    """Objects in an S3-compatible bucket under random keys. An upload is received into a local
    temporary file (size limit, checksum, inspection) and only then stored as one object, so an
    object is complete or absent. Workers read objects through a temporary local copy. Credentials
    come from the usual AWS sources (environment, config files), never from the settings."""

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None,
                 region: str | None = None) -> None:
        import boto3

        self.bucket, self.prefix = bucket, prefix
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)

    def _key(self, key: str) -> str:
        if not _KEY.fullmatch(key):
            raise ValueError(f"not a storage key: {key!r}")
        return self.prefix + key

    async def put_stream(self, chunks: AsyncIterator[bytes], suffix: str, max_bytes: int,
                         inspect: Inspect) -> Stored:
        import tempfile

        key = new_key(suffix)
        with tempfile.TemporaryDirectory(prefix="upload-") as tmpdir:
            tmp = Path(tmpdir) / key
            with tmp.open("wb") as fh:
                size, digest = await _receive(chunks, fh, max_bytes)
            inspect(tmp)
            await asyncio.to_thread(self.client.upload_file, str(tmp), self.bucket, self._key(key))
        return Stored(key, size, digest)

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        import tempfile

        from botocore.exceptions import ClientError

        with tempfile.TemporaryDirectory(prefix="stored-") as tmpdir:
            path = Path(tmpdir) / key  # the random key keeps the upload's suffix, which sniffing reads
            try:
                self.client.download_file(self.bucket, self._key(key), str(path))
            except ClientError as exc:
                raise FileNotFoundError(f"stored file {key} is missing") from exc
            yield path

    def copy(self, key: str) -> str:
        new = new_key(Path(key).suffix)
        self.client.copy_object(Bucket=self.bucket, Key=self._key(new),
                                CopySource={"Bucket": self.bucket, "Key": self._key(key)})
        return new

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError:
            return False


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
