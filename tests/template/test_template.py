"""Security properties checked on the translated template (what CloudFormation will create).

These also cover what the emulator cannot enforce (bucket-policy denies, alarms, subscriptions).
"""

import fnmatch
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from local.stack import translated_template

ROOT = Path(__file__).resolve().parents[2]
# logical id -> functions/<dir>, from the template itself (the translated one has zip locations)
_FUNCTION = re.compile(r"\n  (\w+):\n    Type: AWS::Serverless::Function\n    Properties:\n(?:      .*\n)*?      CodeUri: functions/(\w+)")
CODE_DIRS = dict(_FUNCTION.findall((ROOT / "template.yaml").read_text()))
# The data key everywhere: the stack's own, or the one ExistingKmsKeyArn brings (then the stack creates none)
OUR_KEY = {"Fn::If": ["CreateKey", {"Fn::GetAtt": ["DatasetKey", "Arn"]}, {"Ref": "ExistingKmsKeyArn"}]}


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    resources: dict[str, Any] = translated_template(ROOT)["Resources"]
    return resources


def of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: r for name, r in resources.items() if r["Type"] == kind}


def test_stateful_resources_are_retained(resources: dict[str, Any]) -> None:
    for name in ("DatasetKey", "DataBucket", "RunsTable", "AccessLogsBucket"):
        assert resources[name]["DeletionPolicy"] == "Retain", name


def test_key_is_customer_managed_with_rotation_and_no_wildcard_principal(resources: dict[str, Any]) -> None:
    key = resources["DatasetKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    for statement in key["KeyPolicy"]["Statement"]:
        if isinstance(statement, dict) and "Fn::If" not in statement:
            assert statement["Principal"] not in ("*", {"AWS": "*"})


def test_key_policy_lets_the_bedrock_role_use_the_key_through_s3_and_bedrock_only(resources: dict[str, Any]) -> None:
    statements = {s.get("Sid"): s for s in resources["DatasetKey"]["Properties"]["KeyPolicy"]["Statement"] if isinstance(s, dict)}
    bedrock = statements["BedrockServiceRoleUsesKeyThroughS3AndBedrock"]
    assert set(bedrock["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"}
    grants = statements["BedrockServiceRoleGrantsToBedrockOnly"]
    assert grants["Action"] == "kms:CreateGrant"
    assert grants["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    for statement in (bedrock, grants):
        services = json.dumps(statement["Condition"]["StringEquals"]["kms:ViaService"])
        assert "s3." in services and "bedrock." in services


def test_the_service_roles_own_key_statements_keep_the_via_service_limit(resources: dict[str, Any]) -> None:
    # Given the key policy delegates to IAM (root), when the role's identity policy grants key use,
    # then it carries the same kms:ViaService limit (else it bypasses the key policy's).
    policies = resources["BedrockServiceRole"]["Properties"]["Policies"]
    kms = [s for p in policies for s in p["PolicyDocument"]["Statement"] if "kms:" in json.dumps(s["Action"])]
    assert kms
    for statement in kms:
        assert "kms:ViaService" in statement["Condition"]["StringEquals"], statement["Sid"]
    [grant] = [s for s in kms if s["Action"] == "kms:CreateGrant"]
    assert grant["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}


def test_cloudwatch_logs_may_use_the_key_for_this_stacks_log_groups_only(resources: dict[str, Any]) -> None:
    statements = {s.get("Sid"): s for s in resources["DatasetKey"]["Properties"]["KeyPolicy"]["Statement"] if isinstance(s, dict)}
    logs = statements["CloudWatchLogsEncryptsThisStacksLogGroups"]["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert logs and all("${AWS::StackName}" in arn["Fn::Sub"] for arn in logs)
    names = {r["Properties"]["LogGroupName"]["Fn::Sub"] for r in of_type(resources, "AWS::Logs::LogGroup").values()}
    patterns = [arn["Fn::Sub"].split("log-group:")[1] for arn in logs]
    for name in names:  # every declared group is covered, so none fails to create
        assert any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns), name


def test_every_function_logs_to_its_own_declared_group_with_retention_and_our_key(resources: dict[str, Any]) -> None:
    groups = of_type(resources, "AWS::Logs::LogGroup")
    seen = set()
    for name, function in of_type(resources, "AWS::Lambda::Function").items():
        group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert function["Properties"]["LoggingConfig"]["LogFormat"] == "JSON", name
        props = groups[group]["Properties"]
        assert props["KmsKeyId"] == OUR_KEY, name
        assert props["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
        assert group not in seen, name
        seen.add(group)


def test_data_bucket_is_sse_kms_with_our_key_private_versioned_and_evented(resources: dict[str, Any]) -> None:
    props = resources["DataBucket"]["Properties"]
    rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": OUR_KEY}
    assert rule["BucketKeyEnabled"] is True
    assert all(
        props["PublicAccessBlockConfiguration"][k] is True
        for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
    )
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert props["VersioningConfiguration"]["Status"] == "Enabled"
    assert props["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"] is True
    assert {r["Prefix"] for r in props["LifecycleConfiguration"]["Rules"]} == {"quarantine/", "reports/"}
    assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": "AccessLogsBucket"}


def test_access_log_bucket_uses_sse_s3_because_server_access_logs_cannot_target_sse_kms(resources: dict[str, Any]) -> None:
    rule = resources["AccessLogsBucket"]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_bucket_policy_denies_plain_http_on_bucket_and_objects_and_puts_with_another_key(resources: dict[str, Any]) -> None:
    statements = {
        s["Sid"]: s
        for s in resources["DataBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        if isinstance(s, dict) and "Sid" in s
    }
    tls = statements["DenyInsecureTransport"]
    assert (tls["Effect"], tls["Principal"], tls["Action"]) == ("Deny", "*", "s3:*")
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert len(tls["Resource"]) == 2
    other_key = statements["DenyPutWithAnotherKmsKey"]
    assert other_key["Condition"]["StringNotEqualsIfExists"]["s3:x-amz-server-side-encryption-aws-kms-key-id"] == OUR_KEY


def test_bedrock_service_role_trust_stops_the_confused_deputy(resources: dict[str, Any]) -> None:
    statement = resources["BedrockServiceRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert len(statement) == 1
    assert statement[0]["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert statement[0]["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert "model-customization-job/*" in json.dumps(statement[0]["Condition"]["ArnLike"]["aws:SourceArn"])


def test_no_security_group_is_open_to_the_world_and_no_internet_route_exists(resources: dict[str, Any]) -> None:
    for name, group in of_type(resources, "AWS::EC2::SecurityGroup").items():
        for rule in group["Properties"].get("SecurityGroupIngress", []):
            assert rule.get("CidrIp") != "0.0.0.0/0" and rule.get("CidrIpv6") != "::/0", name
    for kind in ("AWS::EC2::InternetGateway", "AWS::EC2::NatGateway", "AWS::EC2::Route", "AWS::EC2::EgressOnlyInternetGateway"):
        assert not of_type(resources, kind), kind


def test_s3_gateway_endpoint_policy_names_only_the_data_bucket(resources: dict[str, Any]) -> None:
    policy = resources["S3GatewayEndpoint"]["Properties"]["PolicyDocument"]
    for entry in policy["Statement"]:
        statement = entry["Fn::If"][1] if "Fn::If" in entry else entry  # PrivateInference's statements
        for resource in statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]:
            assert resource != "*"
            assert "DataBucket" in json.dumps(resource)


def test_kms_endpoint_has_private_dns_and_https_only_from_the_vpc(resources: dict[str, Any]) -> None:
    assert resources["KmsInterfaceEndpoint"]["Properties"]["PrivateDnsEnabled"] is True
    ingress = resources["KmsEndpointSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert [(r["IpProtocol"], r["FromPort"], r["ToPort"], r["CidrIp"]) for r in ingress] == [("tcp", 443, 443, {"Ref": "VpcCidr"})]


def test_one_private_subnet_per_availability_zone_up_to_six_each_from_fn_cidr(resources: dict[str, Any]) -> None:
    subnets = of_type(resources, "AWS::EC2::Subnet")
    zones = [s["Properties"]["AvailabilityZone"]["Fn::Select"][0] for s in subnets.values()]
    assert sorted(zones) == [0, 1, 2, 3, 4, 5]
    for subnet in subnets.values():
        index, cidr = subnet["Properties"]["CidrBlock"]["Fn::Select"]
        assert index == subnet["Properties"]["AvailabilityZone"]["Fn::Select"][0]
        assert cidr == {"Fn::Cidr": [{"Ref": "VpcCidr"}, 6, {"Ref": "SubnetHostBits"}]}
    # the first two exist in every region (all have at least two zones); the others only where the zone exists
    assert {s.get("Condition") for s in subnets.values()} == {
        "CreateVpc",
        "CreateSubnet3",
        "CreateSubnet4",
        "CreateSubnet5",
        "CreateSubnet6",
    }


def test_table_topic_and_queue_use_the_customer_key(resources: dict[str, Any]) -> None:
    table = resources["RunsTable"]["Properties"]
    assert table["SSESpecification"]["KMSMasterKeyId"] == OUR_KEY
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert resources["NotificationTopic"]["Properties"]["KmsMasterKeyId"] == OUR_KEY
    assert resources["EventsDeadLetterQueue"]["Properties"]["KmsMasterKeyId"] == OUR_KEY


def test_state_machine_is_standard_traced_encrypted_and_logs_no_execution_data(resources: dict[str, Any]) -> None:
    props = resources["PipelineStateMachine"]["Properties"]
    assert props["StateMachineType"] == "STANDARD"
    assert props["LoggingConfiguration"]["IncludeExecutionData"] is False
    assert props["TracingConfiguration"]["Enabled"] is True
    assert props["EncryptionConfiguration"]["Type"] == "CUSTOMER_MANAGED_KMS_KEY"


def test_rules_match_the_right_events_and_have_retry_and_dead_letter_queue(resources: dict[str, Any]) -> None:
    rules = of_type(resources, "AWS::Events::Rule")
    patterns = {name: r["Properties"]["EventPattern"] for name, r in rules.items() if "EventPattern" in r["Properties"]}
    s3_rule = next(p for p in patterns.values() if p["source"] == ["aws.s3"])
    assert s3_rule["detail-type"] == ["Object Created"]  # not "Object Tags Added"
    assert s3_rule["detail"]["object"]["key"] == [{"wildcard": "incoming/*.jsonl"}]
    bedrock_rule = next(p for p in patterns.values() if p["source"] == ["aws.bedrock"])
    assert bedrock_rule["detail"] == {"jobStatus": ["Completed", "Failed", "Stopped"]}  # jobStatus, not status
    for rule in rules.values():
        for target in rule["Properties"]["Targets"]:
            # our KMS-encrypted queue, not a queue SAM would create unencrypted
            assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"]}
            assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    assert not [name for name in of_type(resources, "AWS::SQS::Queue") if name != "EventsDeadLetterQueue"]
    schedules = [r["Properties"]["ScheduleExpression"] for r in rules.values() if "ScheduleExpression" in r["Properties"]]
    assert sorted(schedules) == ["rate(1 day)", "rate(15 minutes)"]  # the janitor, the reconciler


def _statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    policies = [
        p for policy in role["Properties"].get("Policies", []) for p in policy.get("Fn::If", [None, policy])[1:] if "PolicyDocument" in p
    ]
    for policy in policies:
        for statement in policy["PolicyDocument"]["Statement"]:
            if isinstance(statement, dict) and "Fn::If" in statement:
                found += [s for s in statement["Fn::If"][1:] if isinstance(s, dict) and "Effect" in s]
            elif isinstance(statement, dict):
                found.append(statement)
    return found


def _actions(role: dict[str, Any]) -> set[str]:
    return {a for s in _statements(role) for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


def _role_of(resources: dict[str, Any], function: str) -> str:
    role: str = resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]
    return role


def test_pass_role_names_each_role_and_the_one_service_it_may_go_to(resources: dict[str, Any]) -> None:
    scheduler_role = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${AWS::StackName}-ttl-scheduler"}
    allowed = {
        json.dumps({"Fn::GetAtt": ["BedrockServiceRole", "Arn"]}): "bedrock.amazonaws.com",
        json.dumps({"Fn::GetAtt": ["EvaluationServiceRole", "Arn"]}): "bedrock.amazonaws.com",
        json.dumps(scheduler_role): "scheduler.amazonaws.com",
    }
    passers: dict[str, set[str]] = {}
    for name, role in of_type(resources, "AWS::IAM::Role").items():
        for s in _statements(role):
            if "iam:PassRole" in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]):
                assert allowed[json.dumps(s["Resource"])] == s["Condition"]["StringEquals"]["iam:PassedToService"], name
                passers.setdefault(json.dumps(s["Resource"]), set()).add(name)
    # Only the launcher passes the service role (GR-IAM-05 reads it: VerifyGuardrails' PIPELINE_ROLE_ARN).
    assert passers[json.dumps({"Fn::GetAtt": ["BedrockServiceRole", "Arn"]})] == {"StartTrainingJobRole"}
    assert passers[json.dumps({"Fn::GetAtt": ["EvaluationServiceRole", "Arn"]})] == {"StartEvaluationRole"}
    launcher = resources["VerifyGuardrailsFunction"]["Properties"]["Environment"]["Variables"]["PIPELINE_ROLE_ARN"]
    assert launcher == {"Fn::GetAtt": [_role_of(resources, "StartTrainingJobFunction"), "Arn"]}


# What each function's steps call (handler -> secure_finetune steps -> adapters' boto3 calls); its role must
# allow these and nothing from the "never" list below.
NEEDS = {
    "TriggerFunction": {"s3:GetObject", "s3:GetObjectVersion", "states:StartExecution", "dynamodb:PutItem", "sqs:SendMessage"},
    "RegisterRunFunction": {"s3:GetObjectVersion", "s3:GetObjectVersionTagging", "s3:PutObject", "dynamodb:PutItem"},
    "ValidateDatasetFunction": {"s3:GetObjectVersion", "s3:PutObject", "s3:AbortMultipartUpload"},
    "VerifyGuardrailsFunction": {
        "iam:GetRolePolicy",
        "iam:GetPolicyVersion",
        "ec2:GetManagedPrefixListEntries",
        "ec2:DescribeFlowLogs",
        "guardduty:GetMalwareProtectionPlan",
        "access-analyzer:CheckNoPublicAccess",
        "kms:GetKeyPolicy",
    },
    "WaitForJobSlotFunction": {"dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem", "states:SendTaskSuccess"},
    "StartTrainingJobFunction": {
        "bedrock:CreateModelCustomizationJob",
        "bedrock:StopModelCustomizationJob",
        "iam:PassRole",
        "dynamodb:PutItem",
    },
    "CompleteTrainingJobFunction": {
        "bedrock:GetModelCustomizationJob",
        "states:SendTaskSuccess",
        "states:SendTaskFailure",
        "sqs:SendMessage",
    },
    "ReconcileTrainingFunction": {"dynamodb:Scan", "bedrock:GetModelCustomizationJob", "states:SendTaskSuccess"},
    "StopTrainingJobFunction": {"bedrock:StopModelCustomizationJob"},
    "StopAbortedRunFunction": {
        "bedrock:StopModelCustomizationJob",
        "bedrock:DeleteProvisionedModelThroughput",
        "bedrock:ListEvaluationJobs",
        "bedrock:StopEvaluationJob",
        "sqs:SendMessage",
    },
    "ReadTrainingMetricsFunction": {"s3:GetObject", "sns:Publish", "dynamodb:UpdateItem"},
    "PlanDeploymentFunction": {"bedrock:GetCustomModel", "bedrock:ListProvisionedModelThroughputs"},
    "RequestApprovalFunction": {"dynamodb:PutItem", "sns:Publish"},
    "DeployModelFunction": {"bedrock:CreateProvisionedModelThroughput", "scheduler:CreateSchedule", "iam:PassRole"},
    "CheckDeploymentFunction": {"bedrock:GetProvisionedModelThroughput", "bedrock:GetCustomModelDeployment"},
    "SmokeTestFunction": {"s3:GetObject", "s3:PutObject"},
    "StartEvaluationFunction": {
        "s3:GetObject",
        "s3:PutObject",
        "bedrock:CreateEvaluationJob",
        "bedrock:ListEvaluationJobs",
        "iam:PassRole",
        "dynamodb:UpdateItem",  # the evaluation intent, before the creates
    },
    "CheckEvaluationFunction": {"s3:GetObject", "s3:ListBucket", "s3:PutObject", "bedrock:GetEvaluationJob", "bedrock:StopEvaluationJob"},
    "TeardownFunction": {"bedrock:DeleteProvisionedModelThroughput", "scheduler:DeleteSchedule", "sqs:SendMessage"},
    "StackGuardFunction": {"cloudformation:DescribeStacks", "dynamodb:Scan"},
    "NotifyFunction": {
        "sns:Publish",
        "bedrock:DeleteProvisionedModelThroughput",
        "bedrock:ListEvaluationJobs",
        "bedrock:StopEvaluationJob",
        "states:SendTaskSuccess",
    },
    "JanitorFunction": {
        "bedrock:ListModelCustomizationJobs",
        "bedrock:GetModelCustomizationJob",
        "bedrock:StopModelCustomizationJob",
        "dynamodb:UpdateItem",  # the run record's stoppedBy, before the stop
        "bedrock:ListProvisionedModelThroughputs",
        "bedrock:ListCustomModelDeployments",
        "bedrock:ListCustomModels",
        "bedrock:ListTagsForResource",
        "bedrock:DeleteProvisionedModelThroughput",
        "bedrock:DeleteCustomModelDeployment",
        "bedrock:DeleteCustomModel",
        "bedrock:ListEvaluationJobs",  # an ended run's evaluation job still judging: stopped (janitor/rules.py)
        "bedrock:StopEvaluationJob",
        "dynamodb:GetItem",
        "sns:Publish",
        "sqs:SendMessage",
    },
}
BUYS_OR_LAUNCHES = {
    "bedrock:CreateProvisionedModelThroughput",
    "bedrock:CreateCustomModelDeployment",
    "bedrock:CreateModelCustomizationJob",
    "bedrock:CreateEvaluationJob",  # the judge's and the base model's tokens
    "iam:PassRole",
}


def test_each_function_role_allows_what_its_steps_call(resources: dict[str, Any]) -> None:
    for function, needs in NEEDS.items():
        role = resources[_role_of(resources, function)]
        assert needs <= _actions(role), (function, needs - _actions(role))


def test_the_validator_can_neither_answer_waits_nor_buy_nor_read_approvals(resources: dict[str, Any]) -> None:
    # Given the function that parses untrusted JSONL, then its role has S3 (its prefixes), the key and its logs,
    # and in the run table only the run record's status (VALIDATED): no token, intent or ARN.
    role = resources[_role_of(resources, "ValidateDatasetFunction")]
    assert {a.split(":")[0] for a in _actions(role)} == {"s3", "kms", "logs", "dynamodb"}
    [table] = [s for s in _statements(role) if "dynamodb" in json.dumps(s["Action"])]
    assert table["Action"] == "dynamodb:UpdateItem"
    assert table["Condition"]["ForAllValues:StringEquals"] == {"dynamodb:Attributes": ["pk", "sk", "status", "updatedAt"]}
    # and reads nothing back (ALL_OLD on a token's item would hand it the token)
    assert table["Condition"]["StringEqualsIfExists"] == {"dynamodb:ReturnValues": ["NONE", "UPDATED_OLD", "UPDATED_NEW"]}
    assert not [
        f
        for f, r in _functions_by_role(resources).items()
        if r == _role_of(resources, "ValidateDatasetFunction") and f != "ValidateDatasetFunction"
    ]


def test_only_the_launcher_and_the_deployer_may_spend(resources: dict[str, Any]) -> None:
    spenders = {
        function
        for function in of_type(resources, "AWS::Lambda::Function")
        if (
            resources[_role_of(resources, function)]
            and _actions(resources[_role_of(resources, function)]) & BUYS_OR_LAUNCHES - {"iam:PassRole"}
        )
    }
    assert spenders == {"StartTrainingJobFunction", "DeployModelFunction", "StartEvaluationFunction"}


def test_who_may_answer_a_task_token(resources: dict[str, Any]) -> None:
    answerers = {
        function
        for function in of_type(resources, "AWS::Lambda::Function")
        if _actions(resources[_role_of(resources, function)]) & {"states:SendTaskSuccess", "states:SendTaskFailure"}
    }
    # the wait owners: job slots, training completion (event and reconciler), releases that serve the slot
    # queue (teardown, abort, notify) and the approval page
    assert answerers == {
        "WaitForJobSlotFunction", "CompleteTrainingJobFunction", "ReconcileTrainingFunction", "TeardownFunction", "StackGuardFunction",
        "StopAbortedRunFunction", "NotifyFunction", "ApprovalApiFunction",
    }  # fmt: skip


def _functions_by_role(resources: dict[str, Any]) -> dict[str, str]:
    return {function: _role_of(resources, function) for function in of_type(resources, "AWS::Lambda::Function")}


def test_dynamodb_access_is_limited_to_the_items_each_role_owns(resources: dict[str, Any]) -> None:
    for name, role in of_type(resources, "AWS::IAM::Role").items():
        for s in _statements(role):
            actions = [s["Action"]] if isinstance(s["Action"], str) else s["Action"]
            if any(a.startswith("dynamodb:") for a in actions):
                assert "dynamodb:LeadingKeys" in json.dumps(s.get("Condition", {})), name


def test_runs_table_has_deletion_protection(resources: dict[str, Any]) -> None:
    assert resources["RunsTable"]["Properties"]["DeletionProtectionEnabled"] is True


def test_vpc_flow_logs_go_to_a_log_group_under_our_key(resources: dict[str, Any]) -> None:
    [flow] = of_type(resources, "AWS::EC2::FlowLog").values()
    props = flow["Properties"]
    assert (props["ResourceId"], props["ResourceType"], props["TrafficType"]) == ({"Ref": "Vpc"}, "VPC", "ALL")
    assert resources[props["LogGroupName"]["Ref"]]["Properties"]["KmsKeyId"] == OUR_KEY
    [trust] = resources["FlowLogRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert set(trust["Condition"]) == {"StringEquals", "ArnLike"}


def test_kms_endpoint_policy_allows_only_our_key_for_this_account(resources: dict[str, Any]) -> None:
    [statement] = resources["KmsInterfaceEndpoint"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == OUR_KEY
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalAccount": {"Ref": "AWS::AccountId"}}}
    assert "kms:*" not in statement["Action"]


def test_bucket_keeps_the_service_roles_reads_in_the_job_vpc(resources: dict[str, Any]) -> None:
    statements = {
        s["Sid"]: s
        for s in resources["DataBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        if isinstance(s, dict) and "Sid" in s
    }
    deny = statements["BedrockRoleReadsTrainingDataOnlyInTheJobVpc"]
    assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", "s3:GetObject")
    assert deny["Condition"]["ArnEquals"] == {"aws:PrincipalArn": {"Fn::GetAtt": ["BedrockServiceRole", "Arn"]}}
    assert deny["Condition"]["StringNotEquals"]["aws:SourceVpc"] == {"Fn::If": ["CreateVpc", {"Ref": "Vpc"}, {"Ref": "ExistingVpcId"}]}
    assert any("validated/" in json.dumps(r) for r in deny["Resource"])


def test_with_malware_protection_only_guardduty_may_write_the_scan_tag(resources: dict[str, Any]) -> None:
    [conditional] = [
        s["Fn::If"] for s in resources["DataBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        if isinstance(s, dict) and "Fn::If" in s and s["Fn::If"][0] == "MalwareProtectionOn"
    ]  # fmt: skip
    deny = conditional[1]
    assert (deny["Effect"], deny["Principal"]) == ("Deny", "*") and "NotPrincipal" not in deny
    assert {"s3:PutObjectTagging", "s3:PutObject"} <= set(deny["Action"])
    assert deny["Condition"]["ForAnyValue:StringEquals"] == {"s3:RequestObjectTagKeys": "GuardDutyMalwareScanStatus"}
    assert deny["Condition"]["ArnNotEquals"] == {"aws:PrincipalArn": {"Ref": "MalwareProtectionRoleArn"}}


def test_the_ttl_scheduler_role_may_only_invoke_the_teardown_function(resources: dict[str, Any]) -> None:
    role = resources["TtlSchedulerRole"]["Properties"]
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    [allow] = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert (allow["Action"], allow["Resource"]) == ("lambda:InvokeFunction", {"Fn::GetAtt": ["TeardownFunction", "Arn"]})


def test_every_function_runs_python_3_13_with_tracing(resources: dict[str, Any]) -> None:
    for name, function in of_type(resources, "AWS::Lambda::Function").items():
        assert function["Properties"]["Runtime"] == "python3.13", name
        assert function["Properties"]["TracingConfig"] == {"Mode": "Active"}, name


@pytest.fixture(scope="module")
def asl() -> dict[str, Any]:
    asl: dict[str, Any] = json.loads((ROOT / "statemachine" / "pipeline.asl.json").read_text())
    return asl


def test_every_placeholder_in_the_asl_is_substituted_by_the_template(resources: dict[str, Any], asl: dict[str, Any]) -> None:
    placeholders = set(re.findall(r"\$\{(\w+)\}", json.dumps(asl)))
    assert placeholders == set(resources["PipelineStateMachine"]["Properties"]["DefinitionSubstitutions"])


def test_every_wait_and_task_token_state_takes_its_duration_from_the_input(asl: dict[str, Any]) -> None:
    for name, state in asl["States"].items():
        if state["Type"] == "Wait":
            assert "SecondsPath" in state, name
        if state.get("Resource", "").endswith(".waitForTaskToken"):
            assert state["TimeoutSecondsPath"].startswith("$.timing."), name
            assert any("States.Timeout" in c["ErrorEquals"] for c in state["Catch"]), name


def test_every_task_retries_transient_errors_and_catches_into_a_notified_fail(asl: dict[str, Any]) -> None:
    states = asl["States"]
    for name, state in states.items():
        if state["Type"] == "Task":
            assert state["Retry"], name
            assert state["Catch"], name
    assert states["RunFailed"]["ErrorPath"] == "$.outcome.reason"
    # The failure's e-mail is published by the state machine itself (once, from its history), then the Fail state.
    assert states["NotifyFailure"]["Next"] == "TellOwnerFailed" and states["TellOwnerFailed"]["Next"] == "RunFailed"
    assert states["TellOwnerFailed"]["Resource"].endswith(":states:::sns:publish")
    # Cancelled is not failed: told the same way, it ends in a Succeed state (no ExecutionsFailed alarm).
    assert states["NotifyCancelled"]["Next"] == "TellOwnerCancelled" and states["TellOwnerCancelled"]["Next"] == "RunCancelled"
    assert states["RunCancelled"]["Type"] == "Succeed"
    assert [c["Next"] for c in states["StartTrainingJob"]["Catch"] if c["ErrorEquals"] == ["JobCancelled"]] == ["NotifyCancelled"]


def test_the_asynchronously_invoked_functions_have_a_dead_letter_queue(resources: dict[str, Any]) -> None:
    for name in (
        "TriggerFunction",
        "CompleteTrainingJobFunction",
        "StopAbortedRunFunction",
        "ReconcileTrainingFunction",
        "TeardownFunction",
        "StackGuardFunction",  # CloudFormation invokes a custom resource's function asynchronously
        "NetworkSetupFunction",
        "JanitorFunction",  # its daily schedule invokes it asynchronously
    ):
        target = resources[name]["Properties"]["DeadLetterConfig"]["TargetArn"]
        assert target == {"Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"]}, name


def test_each_function_gets_exactly_the_environment_its_handler_reads(resources: dict[str, Any]) -> None:
    # Given each handler's Env (validated at its cold start), when the template is translated,
    # then every function sets exactly those variables: none missing, none it does not read.
    from local.lambda_runtime import load_handler

    from tests.unit.fakes import STACK_ENVIRONMENT

    set_by_lambda = {"AWS_REGION", "AWS_LAMBDA_FUNCTION_NAME"}  # the runtime's own
    assert set(CODE_DIRS.values()) == {path.parent.name for path in (ROOT / "functions").glob("*/app.py")}
    for name, function in of_type(resources, "AWS::Lambda::Function").items():
        code = ROOT / "functions" / CODE_DIRS[name]
        handler = load_handler(code, STACK_ENVIRONMENT)
        env = sys.modules[f"functions_{code.name}"].Env
        variables = set((function["Properties"].get("Environment") or {}).get("Variables", {}))
        assert variables - {"POWERTOOLS_SERVICE_NAME"} == env.variables() - set_by_lambda, name
        assert env.required_variables() - set_by_lambda <= variables, name
        assert callable(handler)


def test_no_function_is_given_an_empty_default_for_a_required_setting() -> None:
    # A required ARN has no default at all: a function missing it fails at import, naming it.
    from secure_finetune.config import StackConfig

    for field_name, field in StackConfig.model_fields.items():
        assert field.default != "", field_name


# The ports each handler's code path reaches (beyond its first step): a handler whose Env lacks a settings section one
# of them reads fails with MissingSettings in AWS, while the unit tests' FakeDeps(CONFIG) carry every section.
PORTS_REACHED = {
    "stack_guard": ("runs", "bedrock", "evaluations", "scheduler", "notifier"),  # teardown, job and evaluation stops
    "stop_aborted_run": ("runs", "bedrock", "evaluations", "scheduler", "notifier", "slots", "machine"),  # cancel_run
    "notify": ("runs", "bedrock", "evaluations", "scheduler", "chat", "slots", "bucket"),  # NotifyFailure
    "janitor": ("runs", "bedrock", "inventory", "notifier"),  # the sweep, its job stops (stop_intended_job)
}


@pytest.mark.parametrize("code_dir", sorted(PORTS_REACHED))
def test_each_handler_can_build_every_port_its_paths_reach(code_dir: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from local.lambda_runtime import load_handler

    from secure_finetune.wiring import Dependencies
    from tests.unit.fakes import STACK_ENVIRONMENT

    for name, value in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}.items():
        monkeypatch.setenv(name, value)
    load_handler(ROOT / "functions" / code_dir, STACK_ENVIRONMENT)
    deps = Dependencies(sys.modules[f"functions_{code_dir}"].ENV)
    for port in PORTS_REACHED[code_dir]:
        assert getattr(deps, port) is not None, (code_dir, port)  # builds it: MissingSettings would raise here
