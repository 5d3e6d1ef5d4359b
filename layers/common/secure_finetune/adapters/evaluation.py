"""Bedrock model evaluation jobs, and reading their results from the data bucket, as the domain's views."""

from __future__ import annotations

import contextlib
from typing import Any

from ..config import STACK_TAG
from ..ports import EvaluationJob
from ..service_errors import AlreadyExists, Invalid
from .clients import client

MAX_RESULT_BYTES = 64 << 20  # a 1000-prompt job's output is a few MB; more is not ours to read whole


def evaluation_job(response: dict[str, Any]) -> EvaluationJob:
    """``GetEvaluationJob``'s response as an ``EvaluationJob``."""
    return EvaluationJob(
        arn=str(response.get("jobArn", "")),
        name=str(response.get("jobName", "")),
        status=str(response.get("status", "")),
        output_uri=str((response.get("outputDataConfig") or {}).get("s3Uri", "")),
        key_id=response.get("customerEncryptionKeyId"),
        role_arn=response.get("roleArn"),
        failure_messages=tuple(str(m) for m in response.get("failureMessages") or ()),
    )


class EvaluationJobs:
    def __init__(self, bucket: str | None, owner: str, stack_tag: str | None = None) -> None:
        self._bedrock = client("bedrock")
        self._s3 = client("s3")
        self.bucket, self.owner = bucket, owner
        self._stack_tags = [{"key": STACK_TAG, "value": stack_tag}] if stack_tag else []

    def create_job(self, request: dict[str, Any]) -> str:
        """Create the job, tagged with the stack (the janitor's first proof that it is ours); a name already taken
        (a retried or crashed create) resolves to that job."""
        request = {**request, "jobTags": [*request.get("jobTags", []), *self._stack_tags]}
        try:
            return str(self._bedrock.create_evaluation_job(**request)["jobArn"])
        except AlreadyExists:
            found = self.find_job(request["jobName"])
            if found is None:
                raise
            return found

    def find_job(self, name: str) -> str | None:
        """The ARN of the job named exactly ``name`` (GetEvaluationJob takes ARNs only)."""
        paginator = self._bedrock.get_paginator("list_evaluation_jobs")
        for page in paginator.paginate(nameContains=name):
            for summary in page.get("jobSummaries", []):
                if summary.get("jobName") == name:
                    return str(summary["jobArn"])
        return None

    def get_job(self, arn: str) -> EvaluationJob:
        return evaluation_job(self._bedrock.get_evaluation_job(jobIdentifier=arn))

    def stop_job(self, arn: str) -> None:
        with contextlib.suppress(Invalid):  # it already ended
            self._bedrock.stop_evaluation_job(jobIdentifier=arn)

    def result_lines(self, output_uri: str, job_name: str) -> list[bytes]:
        """Every line of the job's ``*_output.jsonl`` files under ``<output>/<job name>/`` in our bucket."""
        bucket, _, prefix = output_uri.removeprefix("s3://").partition("/")
        if self.bucket is None or bucket != self.bucket:
            raise ValueError("evaluation output outside the data bucket")
        prefix = f"{prefix.rstrip('/')}/{job_name}/"
        lines: list[bytes] = []
        read = 0
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix, ExpectedBucketOwner=self.owner):
            for item in page.get("Contents", []):
                if not str(item["Key"]).endswith("_output.jsonl"):
                    continue
                read += int(item.get("Size", 0))
                if read > MAX_RESULT_BYTES:
                    raise ValueError("evaluation output larger than expected")
                body = self._s3.get_object(Bucket=bucket, Key=item["Key"], ExpectedBucketOwner=self.owner)["Body"].read()
                lines.extend(line for line in body.split(b"\n") if line.strip())
        return lines
