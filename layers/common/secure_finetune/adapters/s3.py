"""The data bucket. Every call passes ExpectedBucketOwner (bucket-sniping defence)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_plus

from ..ports import ObjectVersion
from ..service_errors import ConditionFailed, NotFound, ServiceError
from .clients import client

CHUNK_BYTES = 1024 * 1024


class DataBucket:
    def __init__(self, bucket: str, owner: str, key_arn: str) -> None:
        self.bucket = bucket
        self.owner = owner
        self.key_arn = key_arn
        self._s3 = client("s3")

    def head(self, key: str, version_id: str | None = None) -> ObjectVersion | None:
        args: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "ExpectedBucketOwner": self.owner}
        if version_id:
            args["VersionId"] = version_id
        try:
            head = self._s3.head_object(**args)
        except NotFound:
            return None
        except ServiceError as err:
            if err.code == "400":  # what HEAD answers for a malformed version id: no such version
                return None
            raise
        return ObjectVersion(
            key=key,
            version_id=head.get("VersionId", "null"),
            etag=head["ETag"].strip('"'),
            size=head["ContentLength"],
            sse=head.get("ServerSideEncryption"),
            kms_key=head.get("SSEKMSKeyId"),
        )

    def resolve_key(self, event_key: str, version_id: str, etag: str) -> ObjectVersion | None:
        """Find the object the event means: the key as given, then URL-decoded.

        EventBridge-delivered S3 events are reported not to be URL-encoded while classic
        notifications are; keep the candidate whose version and ETag match the event.
        """
        for candidate in dict.fromkeys((event_key, unquote_plus(event_key))):
            found = self.head(candidate, version_id)
            if found and found.version_id == version_id and (not etag or found.etag == etag.strip('"')):
                return found
        return None

    def peek(self, key: str, max_bytes: int) -> tuple[ObjectVersion, bytes] | None:
        """The object's metadata and its first ``max_bytes`` bytes (none asked: HEAD only); None if absent.

        The range GET is pinned to the ETag the HEAD saw, so size and bytes describe one object.
        """
        found = self.head(key)
        if found is None or max_bytes <= 0 or found.size == 0:
            return (found, b"") if found is not None else None
        head = self.read_range(key, found.etag, 0, max_bytes)
        return None if head is None else (found, head)

    def read_range(self, key: str, etag: str, start: int, length: int) -> bytes | None:
        """``length`` bytes from ``start`` of the object whose ETag is ``etag`` (fewer at its end);
        None when it is gone or was replaced since (the ETag no longer matches)."""
        try:
            body = self._s3.get_object(
                Bucket=self.bucket,
                Key=key,
                IfMatch=f'"{etag}"',
                Range=f"bytes={start}-{start + length - 1}",
                ExpectedBucketOwner=self.owner,
            )["Body"]
        except (NotFound, ConditionFailed):  # gone, replaced (If-Match) or shorter than asked
            return None
        try:
            return bytes(body.read())
        finally:
            body.close()

    def tags(self, key: str, version_id: str) -> dict[str, str]:
        response = self._s3.get_object_tagging(Bucket=self.bucket, Key=key, VersionId=version_id, ExpectedBucketOwner=self.owner)
        return {tag["Key"]: tag["Value"] for tag in response["TagSet"]}

    def stream(self, key: str, version_id: str) -> Iterator[bytes]:
        body = self._s3.get_object(Bucket=self.bucket, Key=key, VersionId=version_id, ExpectedBucketOwner=self.owner)["Body"]
        try:
            yield from body.iter_chunks(CHUNK_BYTES)
        finally:
            body.close()

    def copy_version(self, key: str, version_id: str, target: str, tags: dict[str, str] | None = None) -> None:
        """Copy one exact version to ``target`` re-encrypted with our key; the source is untouched."""
        args: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": target,
            "CopySource": {"Bucket": self.bucket, "Key": key, "VersionId": version_id},
            "ServerSideEncryption": "aws:kms",
            "SSEKMSKeyId": self.key_arn,
            "ExpectedBucketOwner": self.owner,
            "ExpectedSourceBucketOwner": self.owner,
        }
        if tags:
            args["TaggingDirective"] = "REPLACE"
            args["Tagging"] = "&".join(f"{k}={v}" for k, v in tags.items())
        self._s3.copy_object(**args)

    def put_json(self, key: str, document: Any) -> str:
        return self.put_text(key, json.dumps(document, indent=2, sort_keys=True), "application/json")

    def put_text(self, key: str, text: str, content_type: str) -> str:
        self._s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=text.encode(),
            ContentType=content_type,
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=self.key_arn,
            ExpectedBucketOwner=self.owner,
        )
        return f"s3://{self.bucket}/{key}"

    def get_json(self, key: str) -> Any:
        body = self._s3.get_object(Bucket=self.bucket, Key=key, ExpectedBucketOwner=self.owner)["Body"]
        return json.loads(body.read())

    def get_text(self, key: str) -> str | None:
        try:
            body = self._s3.get_object(Bucket=self.bucket, Key=key, ExpectedBucketOwner=self.owner)["Body"]
        except NotFound:
            return None
        return str(body.read().decode("utf-8"))

    def first_lines(self, key: str, limit: int, max_bytes: int = 1 << 20) -> list[bytes]:
        """The first ``limit`` lines of a (validated) object, reading at most ``max_bytes``."""
        body = self._s3.get_object(Bucket=self.bucket, Key=key, ExpectedBucketOwner=self.owner, Range=f"bytes=0-{max_bytes - 1}")["Body"]
        lines: list[bytes] = body.read().split(b"\n")
        return lines[:limit]

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def upload(self, key: str) -> StreamingUpload:
        return StreamingUpload(self, key)


class StreamingUpload:
    """Write an object in parts of bounded size (SSE-KMS with our key); ``close`` completes it."""

    PART_BYTES = 8 * 1024 * 1024  # S3 parts are at least 5 MiB except the last

    def __init__(self, bucket: DataBucket, key: str) -> None:
        self._bucket = bucket
        self._s3 = bucket._s3
        self.key = key
        self._buffer = bytearray()
        self._parts: list[dict[str, Any]] = []
        self._upload_id = self._s3.create_multipart_upload(
            Bucket=bucket.bucket,
            Key=key,
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=bucket.key_arn,
            ExpectedBucketOwner=bucket.owner,
        )["UploadId"]

    def write(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) >= self.PART_BYTES:
            self._flush()

    def _flush(self) -> None:
        number = len(self._parts) + 1
        etag = self._s3.upload_part(
            Bucket=self._bucket.bucket,
            Key=self.key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=bytes(self._buffer),
            ExpectedBucketOwner=self._bucket.owner,
        )["ETag"]
        self._parts.append({"PartNumber": number, "ETag": etag})
        self._buffer.clear()

    def close(self) -> None:
        if self._buffer or not self._parts:
            self._flush()
        self._s3.complete_multipart_upload(
            Bucket=self._bucket.bucket,
            Key=self.key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": self._parts},
            ExpectedBucketOwner=self._bucket.owner,
        )

    def abort(self) -> None:
        self._s3.abort_multipart_upload(
            Bucket=self._bucket.bucket, Key=self.key, UploadId=self._upload_id, ExpectedBucketOwner=self._bucket.owner
        )
