"""The red team's table: for every blocking check, hostile variants of the secure evidence (issue 11's families and
more), each of which must leave that check FAIL or UNKNOWN. Used by ``test_red_team.py``.

A variant is a function returning the whole evidence (``good()`` of ``test_guardrails`` with one attack applied).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.unit.test_guardrails import ACCOUNT, ANALYZER_FAIL, BUCKET, KEY, REGION, ROLE, B, broken, good
from tests.unit.test_guardrails_malware import GUARDDUTY_PLAN, GUARDDUTY_ROLE, ONLY_GUARDDUTY_TAGS, scanned

FOREIGN, OTHER = "444455556666", "777788889999"
JOBS = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-customization-job/*"
CLEAN = {"GuardDutyMalwareScanStatus": "NO_THREATS_FOUND"}
Make = Callable[[], dict[str, Any]]


@dataclass(frozen=True)
class Hostile:
    check_id: str
    name: str
    make: Make
    kind: str = "pre"  # pre: Evidence; ops: StackEvidence; purchase: PurchaseEvidence


def put(path: str, value: Any, base: Make = good) -> Make:
    return lambda: broken(path, copy.deepcopy(value), base())


def edit(change: Callable[[dict[str, Any]], Any], base: Make = good) -> Make:
    def make() -> dict[str, Any]:
        data = base()
        change(data)
        return copy.deepcopy(data)  # nothing a change closed over is shared between two calls

    return make


def append(path: str, *items: Any, base: Make = good) -> Make:
    def change(data: dict[str, Any]) -> None:
        target: Any = data
        for part in path.split("."):
            target = target[int(part)] if isinstance(target, list) else target[part]
        target.extend(copy.deepcopy(list(items)))

    return edit(change, base)


def table(check_id: str, kind: str = "pre", **variants: Make) -> list[Hostile]:
    return [Hostile(check_id, name, make, kind) for name, make in variants.items()]


def allow(**statement: Any) -> dict[str, Any]:
    return {"Effect": "Allow", **statement}


def deny(**statement: Any) -> dict[str, Any]:
    return {"Effect": "Deny", **statement}


# ---------------------------------------------------------------- context, object, validator, request

BASICS = [
    *table(
        "GR-CTX-01",
        other_account=put("caller_account", FOREIGN),
        unreadable_identity=put("caller_account", None),
        other_bucket=put("event_bucket", "other-bucket"),
        bucket_case=put("event_bucket", BUCKET.upper()),
        bucket_suffix=put("event_bucket", f"{BUCKET}-evil"),
    ),
    *table(
        "GR-CTX-02",
        not_owned=put("bucket.owned", False),
        owner_unknown=put("bucket.owned", None),
        other_region=put("bucket.region", "eu-west-1"),
        region_unknown=put("bucket.region", None),
    ),
    *table(
        "GR-CTX-03",
        past_end_of_life=put("foundation_model.modelLifecycle", {"status": "LEGACY", "endOfLifeTime": "2026-09-10T00:00:00Z"}),
        not_offered_here=put("foundation_model", {"modelId": "meta.llama3-1-8b-instruct-v1:0", "offered": False}),
        unknown_status=put("foundation_model.modelLifecycle", {"status": "RETIRED"}),
        not_customizable=put("foundation_model.customizationsSupported", ["CONTINUED_PRE_TRAINING"]),
        unreadable=put("foundation_model", None),
        no_lifecycle=put("foundation_model.modelLifecycle", {}),
    ),
    *table(
        "GR-OBJ-01",
        other_key=put("object.kms_key", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/other"),
        same_id_other_account=put("object.kms_key", f"arn:aws:kms:{REGION}:{FOREIGN}:key/k1"),
        sse_s3=put("object.sse", "AES256"),
        no_sse=put("object.sse", None),
        unreadable=put("object.readable", False),
    ),
    *table(
        "GR-OBJ-02",
        etag=put("object.etag", "e2"),
        size=put("object.size", 11),
        validated_other=put("validation.training_sha256", "cd" * 32),
        trains_other=put("dataset_sha256", "cd" * 32),
        no_report=put("validation", None),
    ),
    *table(
        "GR-OBJ-03",
        control_char=put("object.key", "incoming/x\x07.jsonl"),
        outside_incoming=put("object.key", "validated/x.jsonl"),
        too_long=put("object.key", "incoming/" + "x" * 1020 + ".jsonl"),
        delete_char=put("object.key", "incoming/p/x\x7f.jsonl"),
        not_jsonl=put("object.key", "incoming/p/x.txt"),
    ),
    *table(
        "GR-OBJ-04",
        too_large=put("validation.error_codes", {"DATASET_TOO_LARGE": 1}),
        empty=put("validation.error_codes", {"DATASET_EMPTY": 1}),
    ),
    *table("GR-OBJ-04", no_report=put("validation", None)),
    *table(
        "GR-OBJ-05",
        gzip=put("validation.error_codes", {"DATASET_COMPRESSED_OR_BINARY": 1}),
        bom=put("validation.error_codes", {"DATASET_BOM": 1}),
        latin1=put("validation.error_codes", {"DATASET_NOT_UTF8": 3}),
    ),
    *table(
        "GR-OBJ-06",
        too_few=put("validation.error_codes", {"TOO_FEW_RECORDS": 1}),
        too_many=put("validation.error_codes", {"TOO_MANY_RECORDS": 1}),
        schema=put("validation.error_codes", {"SCHEMA_MISMATCH": 4}),
    ),
    *table(
        "GR-OBJ-08",
        secret=put("validation.error_codes", {"SENSITIVE_DATA": 1}),
        among_others=put("validation.error_codes", {"SCHEMA_MISMATCH": 1, "SENSITIVE_DATA": 9}),
        no_report=put("validation", None),
    ),
    *table(
        "GR-JOB-01",
        alias=put("job_request.customModelKmsKeyId", "alias/aws/bedrock"),
        key_id_only=put("job_request.customModelKmsKeyId", "k1"),
        other_account=put("job_request.customModelKmsKeyId", KEY.replace(ACCOUNT, FOREIGN)),
        missing=put("job_request", None),
    ),
    *table(
        "GR-JOB-02",
        no_vpc=put("job_request.vpcConfig", None),
        extra_subnet=put("job_request.vpcConfig.subnetIds", ["subnet-1", "subnet-2", "subnet-public"]),
        other_group=put("job_request.vpcConfig.securityGroupIds", ["sg-default"]),
    ),
    *table(
        "GR-JOB-03",
        incoming=put("job_request.trainingDataConfig.s3Uri", f"s3://{BUCKET}/incoming/x.jsonl"),
        other_bucket=put("job_request.trainingDataConfig.s3Uri", f"s3://{BUCKET}-evil/validated/{'ab' * 32}/x.jsonl"),
        output_elsewhere=put("job_request.outputDataConfig.s3Uri", f"s3://{BUCKET}-evil/output/"),
        other_sha=put("job_request.trainingDataConfig.s3Uri", f"s3://{BUCKET}/validated/{'cd' * 32}/x.jsonl"),
    ),
    *table(
        "GR-JOB-04",
        other_role=put("job_request.roleArn", f"arn:aws:iam::{ACCOUNT}:role/other"),
        role_case=put("job_request.roleArn", ROLE.upper()),
        foreign_role=put("job_request.roleArn", ROLE.replace(ACCOUNT, FOREIGN)),
    ),
    *table(
        "GR-JOB-05",
        random_token=put("job_request.clientRequestToken", "fresh-token"),
        no_token=put("job_request.clientRequestToken", None),
        no_lineage=put("job_request.jobTags", []),
    ),
]

# ---------------------------------------------------------------- GR-OBJ-07: a scan result only GuardDuty can write

GD_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/s-malware-protection/GuardDutyMalwareProtection"
UPLOADER = f"arn:aws:iam::{ACCOUNT}:role/uploader"


def tagged(**change: Any) -> Make:
    statement = {k: v for k, v in {**ONLY_GUARDDUTY_TAGS, **change}.items() if v is not None}
    return lambda: scanned(CLEAN, statement)


MALWARE = table(
    "GR-OBJ-07",
    threats=lambda: scanned({"GuardDutyMalwareScanStatus": "THREATS_FOUND"}, ONLY_GUARDDUTY_TAGS),
    failed_scan=lambda: scanned({"GuardDutyMalwareScanStatus": "FAILED"}, ONLY_GUARDDUTY_TAGS),
    not_scanned_yet=lambda: scanned({}, ONLY_GUARDDUTY_TAGS),
    tags_unreadable=lambda: scanned(None, ONLY_GUARDDUTY_TAGS),
    forgeable_no_deny=lambda: scanned(CLEAN),
    deny_spares_uploader=tagged(NotPrincipal={"AWS": [GUARDDUTY_ROLE, GD_SESSION, UPLOADER]}),
    deny_spares_whole_account=tagged(NotPrincipal={"AWS": [GUARDDUTY_ROLE, GD_SESSION, f"arn:aws:iam::{ACCOUNT}:root"]}),
    deny_only_one_foreign_account=tagged(NotPrincipal=None, Principal={"AWS": f"arn:aws:iam::{FOREIGN}:root"}),
    deny_only_put_object=tagged(Action="s3:PutObject"),
    deny_only_version_tagging=tagged(Action="s3:PutObjectVersionTagging"),
    deny_other_prefix=tagged(Resource=f"{B}/quarantine/*"),
    for_all_values=tagged(Condition={"ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": "GuardDutyMalwareScanStatus"}}),
    single_valued_operator=tagged(Condition={"StringEquals": {"s3:RequestObjectTagKeys": "GuardDutyMalwareScanStatus"}}),
    other_tag_key=tagged(Condition={"ForAnyValue:StringEquals": {"s3:RequestObjectTagKeys": "GuardDutyMalwareScanstatus"}}),
    only_without_tls=tagged(Condition={"Bool": {"aws:SecureTransport": "false"}}),
    only_a_value=tagged(Condition={"StringEquals": {"s3:RequestObjectTag/GuardDutyMalwareScanStatus": "THREATS_FOUND"}}),
    spares_a_role_glob=tagged(
        NotPrincipal=None, Principal="*", Condition={"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/*"}}
    ),
    effect_typo=tagged(Effect="deny"),
    plan_unreadable=lambda: scanned(CLEAN, ONLY_GUARDDUTY_TAGS, plan=None),
    no_plan=lambda: scanned(CLEAN, ONLY_GUARDDUTY_TAGS, plan={}),
    plan_does_not_tag=lambda: scanned(CLEAN, ONLY_GUARDDUTY_TAGS, plan={**GUARDDUTY_PLAN, "Tagging": "DISABLED"}),
    plan_other_prefix=lambda: scanned(CLEAN, ONLY_GUARDDUTY_TAGS, plan={**GUARDDUTY_PLAN, "ObjectPrefixes": ["media/"]}),
    plan_role_is_the_uploader=lambda: scanned(CLEAN, ONLY_GUARDDUTY_TAGS, plan={**GUARDDUTY_PLAN, "Role": UPLOADER}),
)

# ---------------------------------------------------------------- the bucket

TLS = "bucket.policy.Statement.0"


def tls(**change: Any) -> Make:
    statement = {**good()["bucket"]["policy"]["Statement"][0], **change}
    return put(TLS, {k: v for k, v in statement.items() if v is not None})


BUCKET_TABLE = [
    *table(
        "GR-S3-01",
        sse_s3=put("bucket.encryption_rules", [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]),
        aws_s3_key=put("bucket.encryption_rules", [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]),
        alias=put("bucket.encryption_rules.0.ApplyServerSideEncryptionByDefault.KMSMasterKeyID", f"alias/{BUCKET}"),
        unreadable=put("bucket.encryption_rules", None),
    ),
    *table(
        "GR-S3-04",
        removed=put("bucket.policy.Statement", good()["bucket"]["policy"]["Statement"][1:]),
        no_condition=tls(Condition={}),
        narrowed_to_a_foreign_account=tls(
            Condition={"Bool": {"aws:SecureTransport": "false"}, "StringEquals": {"aws:PrincipalAccount": FOREIGN}}
        ),
        spares_our_account=tls(Condition={"Bool": {"aws:SecureTransport": "false"}, "StringNotEquals": {"aws:PrincipalAccount": ACCOUNT}}),
        spares_a_role=tls(Principal=None, NotPrincipal={"AWS": ROLE}),
        depends_on_endpoint=tls(Condition={"Bool": {"aws:SecureTransport": "false"}, "StringNotEquals": {"aws:SourceVpce": "vpce-1"}}),
        bucket_only=tls(Resource=B),
        objects_only=tls(Resource=f"{B}/*"),
        one_prefix=tls(Resource=[B, f"{B}/validated/*"]),
        some_actions=tls(Action="s3:Get*"),
        not_action=tls(Action=None, NotAction="s3:GetObject"),
        one_foreign_principal=tls(Principal={"AWS": FOREIGN}),
        turned_allow=tls(Effect="Allow"),
        unreadable=put("bucket.policy", None),
    ),
    *table(
        "GR-S3-06",
        block_off=put("bucket.public_access_block.BlockPublicPolicy", False),
        restrict_off=put("bucket.public_access_block.RestrictPublicBuckets", False),
        public=put("bucket.policy_is_public", True),
        unknown=put("bucket.policy_is_public", None),
    ),
    *table(
        "GR-S3-07",
        object_writer=put("bucket.ownership", "ObjectWriter"),
        preferred=put("bucket.ownership", "BucketOwnerPreferred"),
        unreadable=put("bucket.ownership", None),
    ),
    *table(
        "GR-S3-08",
        foreign_root=append(
            "bucket.policy.Statement", allow(Principal={"AWS": f"arn:aws:iam::{FOREIGN}:root"}, Action="s3:GetObject", Resource=f"{B}/*")
        ),
        foreign_account_id=append("bucket.policy.Statement", allow(Principal={"AWS": FOREIGN}, Action="s3:ListBucket", Resource=B)),
        foreign_role=append(
            "bucket.policy.Statement", allow(Principal={"AWS": f"arn:aws:iam::{FOREIGN}:role/x"}, Action="s3:*", Resource=f"{B}/*")
        ),
        everyone=append("bucket.policy.Statement", allow(Principal="*", Action="s3:GetObject", Resource=f"{B}/*")),
        not_principal=append("bucket.policy.Statement", allow(NotPrincipal={"AWS": ROLE}, Action="s3:GetObject", Resource=f"{B}/*")),
        principal_account_if_exists=append(
            "bucket.policy.Statement",
            allow(
                Principal="*",
                Action="s3:GetObject",
                Resource=f"{B}/*",
                Condition={"StringEqualsIfExists": {"aws:PrincipalAccount": ACCOUNT}},
            ),
        ),
        service_unbound=append(
            "bucket.policy.Statement", allow(Principal={"Service": "logging.s3.amazonaws.com"}, Action="s3:PutObject", Resource=f"{B}/*")
        ),
        service_bound_elsewhere=append(
            "bucket.policy.Statement",
            allow(
                Principal={"Service": "logging.s3.amazonaws.com"},
                Action="s3:PutObject",
                Resource=f"{B}/*",
                Condition={"StringEquals": {"aws:SourceAccount": FOREIGN}},
            ),
        ),
        service_not_equals=append(
            "bucket.policy.Statement",
            allow(
                Principal={"Service": "logging.s3.amazonaws.com"},
                Action="s3:PutObject",
                Resource=f"{B}/*",
                Condition={"StringNotEquals": {"aws:SourceAccount": ACCOUNT}},
            ),
        ),
        any_role_anywhere=append(
            "bucket.policy.Statement",
            allow(
                Principal="*",
                Action="s3:GetObject",
                Resource=f"{B}/*",
                Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}},
            ),
        ),
        federated=append(
            "bucket.policy.Statement",
            allow(Principal={"Federated": "cognito-identity.amazonaws.com"}, Action="s3:GetObject", Resource=f"{B}/*"),
        ),
        organisation=append(
            "bucket.policy.Statement",
            allow(Principal="*", Action="s3:GetObject", Resource=f"{B}/*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-123"}}),
        ),
        not_action=append("bucket.policy.Statement", allow(Principal={"AWS": FOREIGN}, NotAction="s3:DeleteObject", Resource=f"{B}/*")),
        analyzer_fail=put("bucket.public_access_check", ANALYZER_FAIL),
        analyzer_not_run=put("bucket.public_access_check", None),
    ),
]
