"""Security properties checked on the translated template (what CloudFormation will create).

These also cover what the emulator cannot enforce (bucket-policy denies, alarms, subscriptions).
"""

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
    assert set(bedrock["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant"}
    services = json.dumps(bedrock["Condition"]["StringEquals"]["kms:ViaService"])
    assert "s3." in services and "bedrock." in services


def test_data_bucket_is_sse_kms_with_our_key_private_versioned_and_evented(resources: dict[str, Any]) -> None:
    props = resources["DataBucket"]["Properties"]
    rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": ["DatasetKey", "Arn"]}}
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
    assert other_key["Condition"]["StringNotEqualsIfExists"]["s3:x-amz-server-side-encryption-aws-kms-key-id"] == {
        "Fn::GetAtt": ["DatasetKey", "Arn"]
    }


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
    for statement in policy["Statement"]:
        for resource in statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]:
            assert resource != "*"
            assert "DataBucket" in json.dumps(resource)


def test_kms_endpoint_has_private_dns_and_https_only_from_the_vpc(resources: dict[str, Any]) -> None:
    assert resources["KmsInterfaceEndpoint"]["Properties"]["PrivateDnsEnabled"] is True
    ingress = resources["KmsEndpointSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert [(r["IpProtocol"], r["FromPort"], r["ToPort"], r["CidrIp"]) for r in ingress] == [("tcp", 443, 443, {"Ref": "VpcCidr"})]


def test_one_private_subnet_per_availability_zone(resources: dict[str, Any]) -> None:
    zones = [s["Properties"]["AvailabilityZone"]["Fn::Select"][0] for s in of_type(resources, "AWS::EC2::Subnet").values()]
    assert sorted(zones) == [0, 1, 2]


def test_table_topic_and_queue_use_the_customer_key(resources: dict[str, Any]) -> None:
    table = resources["RunsTable"]["Properties"]
    assert table["SSESpecification"]["KMSMasterKeyId"] == {"Fn::GetAtt": ["DatasetKey", "Arn"]}
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert resources["NotificationTopic"]["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": ["DatasetKey", "Arn"]}
    assert resources["EventsDeadLetterQueue"]["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": ["DatasetKey", "Arn"]}


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
    assert schedules == ["rate(15 minutes)"]  # the reconciler


def test_pass_role_names_each_role_and_the_one_service_it_may_go_to(resources: dict[str, Any]) -> None:
    statements = resources["PipelineFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    passes = {
        json.dumps(s["Resource"]): s["Condition"]["StringEquals"]["iam:PassedToService"]
        for s in statements
        if isinstance(s, dict) and s.get("Action") == "iam:PassRole"
    }
    scheduler_role = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${AWS::StackName}-ttl-scheduler"}
    assert passes == {
        json.dumps({"Fn::GetAtt": ["BedrockServiceRole", "Arn"]}): "bedrock.amazonaws.com",
        json.dumps(scheduler_role): "scheduler.amazonaws.com",
    }


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
    assert states["NotifyFailure"]["Next"] == "RunFailed"


def test_the_asynchronously_invoked_functions_have_a_dead_letter_queue(resources: dict[str, Any]) -> None:
    for name in (
        "TriggerFunction",
        "CompleteTrainingJobFunction",
        "StopAbortedRunFunction",
        "ReconcileTrainingFunction",
        "TeardownFunction",
    ):
        target = resources[name]["Properties"]["DeadLetterConfig"]["TargetArn"]
        assert target == {"Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"]}, name


def test_each_function_gets_exactly_the_environment_its_handler_reads(resources: dict[str, Any]) -> None:
    # Given each handler's Env (validated at its cold start), when the template is translated,
    # then every function sets exactly those variables: none missing, none it does not read.
    from local.lambda_runtime import load_handler

    from tests.unit.fakes import STACK_ENVIRONMENT

    set_by_lambda = {"AWS_REGION"}  # the runtime's own
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
