"""The RFT grader's evidence as the template deploys it (GraderFunction, GraderRole, GraderFunctionLogGroup,
GraderInvokePermission), shaped as the adapters read it: the good case the guardrail tests break."""

from __future__ import annotations

from typing import Any

ACCOUNT, REGION = "111122223333", "us-east-1"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k1"
GRADER = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:s-GraderFunction-x"
GRADER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/s/s-GraderRole-x"
GROUP = "/aws/lambda/s/rft-grader"
JOBS = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-customization-job/*"
XRAY_MANAGED = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"


def grader_evidence() -> dict[str, Any]:
    return {
        "arn": GRADER,
        "configuration": {
            "Role": GRADER_ROLE,
            "KMSKeyArn": KEY,
            "LoggingConfig": {"LogFormat": "JSON", "LogGroup": GROUP},
            "FunctionName": "s-GraderFunction-x",
            "EnvironmentKeys": ["POWERTOOLS_SERVICE_NAME"],
        },
        "resource_policy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "bedrock",
                    "Effect": "Allow",
                    "Principal": {"Service": "bedrock.amazonaws.com"},
                    "Action": "lambda:InvokeFunction",
                    "Resource": GRADER,
                    "Condition": {"StringEquals": {"AWS:SourceAccount": ACCOUNT}, "ArnLike": {"AWS:SourceArn": JOBS}},
                }
            ],
        },
        "role": {
            "arn": GRADER_ROLE,
            "trust": {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
                    }
                ]
            },
            "inline_policies": [
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "OwnLogGroup",
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{GROUP}:*",
                        },
                        {
                            "Sid": "DecryptItsEnvironment",
                            "Effect": "Allow",
                            "Action": "kms:Decrypt",
                            "Resource": KEY,
                            "Condition": {"StringEquals": {"kms:ViaService": f"lambda.{REGION}.amazonaws.com"}},
                        },
                    ],
                }
            ],
            "attached_policy_arns": [XRAY_MANAGED],
            "attached_policies": {
                XRAY_MANAGED: {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": [
                                "xray:PutTraceSegments",
                                "xray:PutTelemetryRecords",
                                "xray:GetSamplingRules",
                                "xray:GetSamplingTargets",
                                "xray:GetSamplingStatisticSummaries",
                            ],
                            "Resource": ["*"],
                        }
                    ],
                }
            },
        },
        "log_group": {"logGroupName": GROUP, "kmsKeyId": KEY, "retentionInDays": 90},
    }
