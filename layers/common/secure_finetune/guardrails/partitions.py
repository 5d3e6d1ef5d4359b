"""ARN partitions: the rules build the stack's ARNs (bucket, roles, jobs, witnesses) in the run's partition, so a stack in
AWS GovCloud (US) or China is judged against ``arn:aws-us-gov:...`` / ``arn:aws-cn:...`` as its policies write them."""

from __future__ import annotations

# Region -> ARN partition, as the partitions' regionRegex in botocore 1.44.8's data/endpoints.json say: aws-cn "^cn\-",
# aws-us-gov "^us\-gov\-", aws-iso "^us\-iso\-", aws-iso-b "^us\-isob\-", aws-iso-e "^eu\-isoe\-", aws-iso-f
# "^us\-isof\-", aws-eusc "^eusc\-(de)\-"; aws "^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$".
_PARTITIONS = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-iso-", "aws-iso"),
    ("us-isob-", "aws-iso-b"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-isof-", "aws-iso-f"),
    ("eusc-", "aws-eusc"),
)
_COMMERCIAL = ("us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx")


def partition(region: str, arn: str = "") -> str:
    """The ARN partition of ``region`` (every ARN the rules build for the stack: its bucket, roles, jobs); for a region
    no partition claims, ``arn``'s own (one of the stack's, e.g. its key's)."""
    for prefix, name in _PARTITIONS:
        if region.startswith(prefix):
            return name
    if region.split("-", 1)[0] in _COMMERCIAL:
        return "aws"
    return of_arn(arn)


def of_arn(arn: str) -> str:
    """The partition an ARN names (``arn:aws-us-gov:...`` -> ``aws-us-gov``); ``aws`` for anything else."""
    fields = arn.split(":")
    return fields[1] if len(fields) > 2 and fields[0] == "arn" and fields[1] else "aws"
