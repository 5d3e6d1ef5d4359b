"""The red team's table, continued: the key, the network, identities, the stack's plumbing, purchases."""

from __future__ import annotations

from typing import Any

from tests.unit.red_team_variants import FOREIGN, JOBS, Make, allow, append, edit, put, table
from tests.unit.test_guardrails import (
    ACCOUNT,
    ANALYZER_FAIL,
    KEY,
    PASS_ROLE_FINDING,
    REGION,
    ROLE,
    B,
    good,
    not_granted,
    simulated,
)
from tests.unit.test_guardrails_ops import ops_good

FOUR = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant"]
ROOT = f"arn:aws:iam::{ACCOUNT}:root"

# ---------------------------------------------------------------- the key


def key_statement(**statement: Any) -> Make:
    return append("key.policy.Statement", {"Effect": "Allow", "Resource": "*", **statement})


def role_statement(**change: Any) -> Make:
    statement = {**good()["key"]["policy"]["Statement"][1], **change}
    return put("key.policy.Statement.1", {k: v for k, v in statement.items() if v is not None})


KEY_TABLE = [
    *table(
        "GR-KMS-01",
        aws_managed=put("key.metadata.KeyManager", "AWS"),
        disabled=put("key.metadata.KeyState", "Disabled"),
        pending_deletion=put("key.metadata.DeletionDate", "2026-12-01"),
        asymmetric=put("key.metadata.KeySpec", "RSA_2048"),
        foreign=put("key.metadata.AWSAccountId", FOREIGN),
        unreadable=put("key.metadata", None),
    ),
    *table(
        "GR-KMS-02",
        off=put("key.rotation_enabled", False),
        unknown=put("key.rotation_enabled", None),
        text=put("key.rotation_enabled", "false"),
    ),
    *table(
        "GR-KMS-03",
        everyone=put("key.policy.Statement.0.Principal", "*"),
        caller_account_lists_a_foreign_one=key_statement(
            Principal={"AWS": "*"}, Action="kms:Decrypt", Condition={"StringEquals": {"kms:CallerAccount": [ACCOUNT, FOREIGN]}}
        ),
        caller_account_not_equals=key_statement(
            Principal="*", Action="kms:Decrypt", Condition={"StringNotEquals": {"kms:CallerAccount": FOREIGN}}
        ),
        caller_account_if_exists=key_statement(
            Principal="*", Action="kms:Decrypt", Condition={"StringEqualsIfExists": {"kms:CallerAccount": ACCOUNT}}
        ),
        foreign_role=key_statement(Principal={"AWS": f"arn:aws:iam::{FOREIGN}:role/x"}, Action="kms:Decrypt"),
        foreign_account_id=key_statement(Principal={"AWS": FOREIGN}, Action=["kms:Encrypt", "kms:Decrypt"]),
        not_principal=key_statement(NotPrincipal={"AWS": ROLE}, Action="kms:Decrypt"),
        not_action_for_a_foreign_root=key_statement(Principal={"AWS": f"arn:aws:iam::{FOREIGN}:root"}, NotAction="kms:ScheduleKeyDeletion"),
        logs_for_any_account=key_statement(
            Principal={"Service": f"logs.{REGION}.amazonaws.com"},
            Action="kms:Decrypt",
            Condition={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:*:*:log-group:*"}},
        ),
        service_unbound=key_statement(Principal={"Service": "events.amazonaws.com"}, Action="kms:GenerateDataKey"),
        service_for_a_foreign_account=key_statement(
            Principal={"Service": "events.amazonaws.com"}, Action="kms:Decrypt", Condition={"StringEquals": {"aws:SourceAccount": FOREIGN}}
        ),
        organisation=key_statement(Principal="*", Action="kms:Decrypt", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-1"}}),
        analyzer_fail=put("key.public_access_check", ANALYZER_FAIL),
        unreadable=put("key.policy", None),
    ),
    *table(
        "GR-KMS-04",
        every_action=role_statement(Action="kms:*"),
        not_action_grants_put_key_policy=role_statement(Action=None, NotAction="kms:ScheduleKeyDeletion"),
        action_case=role_statement(Action=[*FOUR, "KMS:putkeypolicy"]),
        describe_glob=role_statement(Action=["kms:Decrypt", "kms:GenerateDataKey", "kms:Describe*", "kms:CreateGrant"]),
        via_service_removed=put("key.policy.Statement.1.Condition.StringEquals", {}),
        via_service_if_exists=role_statement(
            Condition={"ArnEquals": {"aws:PrincipalArn": ROLE}, "StringEqualsIfExists": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}
        ),
        via_service_any=role_statement(Condition={"ArnEquals": {"aws:PrincipalArn": ROLE}, "StringLike": {"kms:ViaService": "*"}}),
        via_other_service=role_statement(
            Condition={"ArnEquals": {"aws:PrincipalArn": ROLE}, "StringEquals": {"kms:ViaService": f"ec2.{REGION}.amazonaws.com"}}
        ),
        direct_principal=key_statement(Principal={"AWS": ROLE}, Action="kms:PutKeyPolicy"),
        everyone_in_account=key_statement(Principal="*", Action="kms:*", Condition={"StringEquals": {"kms:CallerAccount": ACCOUNT}}),
        iam_grants_more=edit(
            lambda d: d["service_role"]["inline_policies"][0]["Statement"].append(allow(Action="kms:ScheduleKeyDeletion", Resource=KEY))
        ),
        iam_unreadable_under_delegation=put("service_role.inline_policies", None),
        lacks_create_grant=edit(
            lambda d: d["service_role"]["inline_policies"][0]["Statement"][2].update(
                Action=["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
            )
        ),
        unreadable=put("key.policy", None),
    ),
    *table(
        "GR-KMS-05",
        job_key=put("job_request.customModelKmsKeyId", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/other"),
        bucket_key=put(
            "bucket.encryption_rules.0.ApplyServerSideEncryptionByDefault.KMSMasterKeyID", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/other"
        ),
        role_second_key=append("service_role.inline_policies.0.Statement", allow(Action="kms:Decrypt", Resource=KEY.replace("k1", "k2"))),
        role_any_key=append("service_role.inline_policies.0.Statement", allow(Action="KMS:Decrypt", Resource="*")),
        no_object_key=put("object.kms_key", None),
    ),
]

# ---------------------------------------------------------------- the network

ROUTES = "network.route_tables.subnet-1.Routes"


def route(**fields: Any) -> Make:
    return append(ROUTES, {"State": "active", **fields})


def prefix_lists(**lists: list[str]) -> Make:
    return edit(lambda d: d["network"].update(prefix_lists=lists))


def with_prefix_lists(base: Make, **lists: list[str]) -> Make:
    return edit(lambda d: d["network"].update(prefix_lists=lists), base)


def ingress(group: str, *permissions: dict[str, Any]) -> Make:
    return append(f"network.security_groups.{group}.IpPermissions", *permissions)


def cidrs(*blocks: str, protocol: str = "tcp", port: int = 443) -> dict[str, Any]:
    v4 = [{"CidrIp": b} for b in blocks if ":" not in b]
    v6 = [{"CidrIpv6": b} for b in blocks if ":" in b]
    return {"IpProtocol": protocol, "FromPort": port, "ToPort": port, "IpRanges": v4, "Ipv6Ranges": v6}


def pairs(*groups: dict[str, Any]) -> dict[str, Any]:
    return {"IpProtocol": "-1", "UserIdGroupPairs": list(groups)}


def prefix(list_id: str, port: int = 443) -> dict[str, Any]:
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "PrefixListIds": [{"PrefixListId": list_id}]}


HALVES = ("0.0.0.0/1", "128.0.0.0/1")
S3_POLICY = "network.s3_endpoints.0.PolicyDocument.Statement"
SMOKE_ROLE_NAME = "role/s/s-SmokeTestRole-1"
SMOKE_ROLE = f"arn:aws:iam::{ACCOUNT}:{SMOKE_ROLE_NAME}"


PROMPTS, ANSWERS = f"{B}/reports/*/evaluation/prompts.jsonl", f"{B}/reports/*/evaluation/custom-answers.jsonl"


def smoke_writer(resource: str = f"{B}/reports/*/smoke.json", action: str = "s3:PutObject", **condition: Any) -> dict[str, Any]:
    """The template's S3GatewayEndpoint statements for the private-inference function's run files (the smoke report;
    an on-demand model's held-out prompts and answers), with ``condition`` instead of its role's."""
    keys = {"StringEquals": {"aws:ResourceAccount": ACCOUNT}, **condition}
    return allow(Principal="*", Action=action, Resource=resource, Condition=keys)


THE_ROLE = {"aws:PrincipalArn": SMOKE_ROLE}
THE_SMOKE_WRITER = {**smoke_writer(ArnEquals=THE_ROLE), "Resource": [f"{B}/reports/*/smoke.json", ANSWERS]}
THE_PROMPT_READER = {**smoke_writer(action="s3:GetObject", ArnEquals=THE_ROLE), "Resource": [PROMPTS, ANSWERS]}
ATTACKER = f"arn:aws:iam::{ACCOUNT}:role/attacker"


def private_inference_good() -> dict[str, Any]:
    """The secure evidence of a stack with PrivateInference: the smoke-test function's role named to the guardrail
    step, and the template's two S3 endpoint statements for its run files."""
    data = good()
    data["smoke_test_role_arn"] = SMOKE_ROLE
    data["network"]["s3_endpoints"][0]["PolicyDocument"]["Statement"] += [THE_SMOKE_WRITER, THE_PROMPT_READER]
    return data


def private(path: str, *items: Any) -> Make:
    return append(path, *items, base=private_inference_good)


NETWORK_TABLE = [
    *table(
        "GR-NET-01",
        igw=route(DestinationCidrBlock="0.0.0.0/0", GatewayId="igw-1"),
        nat=route(DestinationCidrBlock="0.0.0.0/0", NatGatewayId="nat-1"),
        split_default=append(ROUTES, *({"DestinationCidrBlock": h, "GatewayId": "igw-1", "State": "active"} for h in HALVES)),
        one_public_slash_24=route(DestinationCidrBlock="52.94.5.0/24", GatewayId="igw-1"),
        transit_gateway=route(DestinationCidrBlock="0.0.0.0/0", TransitGatewayId="tgw-1"),
        peering=route(DestinationCidrBlock="0.0.0.0/0", VpcPeeringConnectionId="pcx-1"),
        nat_instance=route(DestinationCidrBlock="0.0.0.0/0", InstanceId="i-1", InstanceOwnerId=ACCOUNT),
        nat_instance_eni=route(DestinationCidrBlock="0.0.0.0/0", NetworkInterfaceId="eni-1"),
        virtual_gateway=route(DestinationCidrBlock="0.0.0.0/0", GatewayId="vgw-1"),
        egress_only_v6=route(DestinationIpv6CidrBlock="::/0", EgressOnlyInternetGatewayId="eigw-1"),
        global_unicast_v6=route(DestinationIpv6CidrBlock="2000::/3", GatewayId="igw-1"),
        core_network=route(DestinationCidrBlock="0.0.0.0/0", CoreNetworkArn="arn:aws:networkmanager::1:core-network/x"),
        a_target_aws_has_not_named=route(DestinationCidrBlock="0.0.0.0/0", SomeFutureTargetId="fut-1"),
        no_target=route(DestinationCidrBlock="0.0.0.0/0"),
        gateway_load_balancer=with_prefix_lists(route(DestinationCidrBlock="0.0.0.0/0", GatewayId="vpce-gwlb")),
        prefix_list_to_igw=with_prefix_lists(route(DestinationPrefixListId="pl-corp", GatewayId="igw-1"), **{"pl-corp": list(HALVES)}),
        prefix_list_unresolved=route(DestinationPrefixListId="pl-corp", GatewayId="igw-1"),
        endpoint_type_unknown=route(DestinationPrefixListId="pl-s3", GatewayId="vpce-unknown"),
        public_addresses_on_launch=put("network.subnets.0.MapPublicIpOnLaunch", True),
        ipv6_on_launch=put("network.subnets.1.AssignIpv6AddressOnCreation", True),
        table_unreadable=edit(lambda d: d["network"]["route_tables"].pop("subnet-2")),
        two_vpcs=put("network.subnets.1.VpcId", "vpc-2"),
        unreadable=put("network.route_tables", None),
    ),
    *table(
        "GR-NET-04",
        off_the_table=put("network.s3_endpoints.0.RouteTableIds", []),
        pending=put("network.s3_endpoints.0.State", "pending"),
        interface_only=put("network.s3_endpoints.0.VpcEndpointType", "Interface"),
        unreadable=put("network.s3_endpoints", None),
    ),
    *table(
        "GR-NET-05",
        everything=put("network.s3_endpoints.0.PolicyDocument", {"Statement": [allow(Principal="*", Action="*", Resource="*")]}),
        not_resource=append(S3_POLICY, allow(Principal="*", Action="s3:GetObject", NotResource=f"{B}/validated/*")),
        bucket_prefix_glob=append(S3_POLICY, allow(Principal="*", Action="s3:GetObject", Resource="arn:aws:s3:::data-bucket*")),
        delete_validated=append(S3_POLICY, allow(Principal="*", Action="s3:DeleteObject", Resource=f"{B}/validated/*")),
        every_s3_action=append(S3_POLICY, allow(Principal="*", Action="S3:*", Resource=f"{B}/validated/*")),
        put_validated=append(S3_POLICY, allow(Principal="*", Action="s3:PutObject", Resource=f"{B}/validated/*")),
        not_action=append(S3_POLICY, allow(Principal="*", NotAction="s3:DeleteBucket", Resource=f"{B}/output/*")),
        # The smoke test's report key (issue 16) is writable through the endpoint by its role only:
        smoke_report_by_anyone=append(S3_POLICY, smoke_writer()),
        smoke_report_by_any_role=append(S3_POLICY, smoke_writer(ArnLike={"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/*"})),
        smoke_report_by_its_namesake_anywhere=append(
            S3_POLICY, smoke_writer(ArnLike={"aws:PrincipalArn": f"arn:aws:iam::*:{SMOKE_ROLE_NAME}"})
        ),
        smoke_report_unless_another_role=append(
            S3_POLICY, smoke_writer(ArnNotEquals={"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/other"})
        ),
        every_report_by_the_smoke_role=append(S3_POLICY, {**THE_SMOKE_WRITER, "Resource": f"{B}/reports/*"}),
        # ... and so are an on-demand model's held-out prompts (read) and its answers (read, write) (issue 15):
        held_out_prompts_read_by_anyone=append(S3_POLICY, smoke_writer(PROMPTS, "s3:GetObject")),
        held_out_prompts_read_by_any_role=append(
            S3_POLICY, smoke_writer(PROMPTS, "s3:GetObject", ArnLike={"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/*"})
        ),
        answers_written_by_anyone=append(S3_POLICY, smoke_writer(ANSWERS)),
        answers_read_by_its_namesake_anywhere=append(
            S3_POLICY, smoke_writer(ANSWERS, "s3:GetObject", ArnLike={"aws:PrincipalArn": f"arn:aws:iam::*:{SMOKE_ROLE_NAME}"})
        ),
        every_evaluation_file_by_the_smoke_role=append(S3_POLICY, {**THE_PROMPT_READER, "Resource": f"{B}/reports/*/evaluation/*"}),
        smoke_report_by_the_role_if_it_exists=append(S3_POLICY, smoke_writer(ArnEqualsIfExists={"aws:PrincipalArn": SMOKE_ROLE})),
        # ... and only by the smoke-test function's role, even when the policy names another (PrivateInference on):
        held_out_prompts_read_by_another_named_role=private(
            S3_POLICY, smoke_writer(PROMPTS, "s3:GetObject", ArnEquals={"aws:PrincipalArn": ATTACKER})
        ),
        answers_written_by_a_named_foreign_role=private(
            S3_POLICY, smoke_writer(ANSWERS, ArnEquals={"aws:PrincipalArn": f"arn:aws:iam::{FOREIGN}:role/collector"})
        ),
        smoke_report_by_the_role_and_another=private(S3_POLICY, smoke_writer(ArnEquals={"aws:PrincipalArn": [SMOKE_ROLE, ATTACKER]})),
        answers_read_by_roles_named_like_it=private(
            S3_POLICY, smoke_writer(ANSWERS, "s3:GetObject", ArnLike={"aws:PrincipalArn": f"{SMOKE_ROLE}*"})
        ),
        # ... the other role named in the Principal element, in upper case under an IgnoreCase operator, by a pattern
        # that does not start with "arn:", or by a bare account id (its root):
        prompts_read_by_a_role_in_the_principal_element=private(
            S3_POLICY, allow(Principal={"AWS": ATTACKER}, Action="s3:GetObject", Resource=PROMPTS)
        ),
        prompts_read_by_an_account_in_the_principal_element=private(
            S3_POLICY, allow(Principal={"AWS": FOREIGN}, Action="s3:GetObject", Resource=PROMPTS)
        ),
        smoke_report_by_another_role_ignoring_case=private(
            S3_POLICY, smoke_writer(StringEqualsIgnoreCase={"aws:PrincipalArn": ATTACKER.upper()})
        ),
        prompts_read_by_a_pattern_without_arn=private(
            S3_POLICY, smoke_writer(PROMPTS, "s3:GetObject", StringLike={"aws:PrincipalArn": "*:role/attacker"})
        ),
        prompts_read_by_a_pattern_with_a_wildcard_arn=private(
            S3_POLICY, smoke_writer(PROMPTS, "s3:GetObject", StringLike={"aws:PrincipalArn": f"?rn:aws:iam::{ACCOUNT}:role/attacker"})
        ),
        not_an_arn_for_the_role=edit(lambda d: d.update(smoke_test_role_arn="not-an-arn"), base=private_inference_good),
        held_out_prompts_read_by_a_principal_tag=private(
            S3_POLICY, {**smoke_writer(PROMPTS, "s3:GetObject"), "Condition": {"StringEquals": {"aws:PrincipalTag/team": "ml"}}}
        ),
        # ... and not by any role when the function runs outside the VPC (PrivateInference off: no role given):
        run_files_with_private_inference_off=edit(lambda d: d.update(smoke_test_role_arn=None), base=private_inference_good),
        # ... while the function's role can do each of those (else it fails after the model is paid for):
        smoke_role_cannot_write_its_report=put(f"{S3_POLICY}.2.Resource", [ANSWERS], base=private_inference_good),
        smoke_role_cannot_read_the_prompts=put(f"{S3_POLICY}.3.Resource", [ANSWERS], base=private_inference_good),
        an_endpoint_without_its_statements=put("smoke_test_role_arn", SMOKE_ROLE),  # e.g. an existing VPC's endpoint
        conditional_any_bucket=append(
            S3_POLICY,
            allow(Principal="*", Action="s3:GetObject", Resource="*", Condition={"StringEquals": {"aws:ResourceAccount": ACCOUNT}}),
        ),
        no_policy=put("network.s3_endpoints.0.PolicyDocument", {}),
        second_endpoint=append(
            "network.s3_endpoints",
            {
                "VpcEndpointId": "vpce-2",
                "VpcEndpointType": "Interface",
                "State": "available",
                "PolicyDocument": {"Statement": [allow(Principal="*", Action="s3:*", Resource="*")]},
            },
        ),
        none=put("network.s3_endpoints", []),
    ),
    *table(
        "GR-NET-06",
        dns_off=put("network.vpc.EnableDnsSupport", False),
        private_dns_off=put("network.kms_endpoints.0.PrivateDnsEnabled", False),
        pending=put("network.kms_endpoints.0.State", "pending"),
        no_group=put("network.kms_endpoints.0.Groups", []),
        world=ingress("sg-kms", cidrs("0.0.0.0/0")),
        world_in_halves=ingress("sg-kms", cidrs(*HALVES)),
        world_v6=ingress("sg-kms", cidrs("::/0")),
        other_private_range=ingress("sg-kms", cidrs("192.168.0.0/16")),
        public_prefix_list=with_prefix_lists(ingress("sg-kms", prefix("pl-corp")), **{"pl-corp": ["203.0.113.0/24"]}),
        prefix_list_unresolved=ingress("sg-kms", prefix("pl-corp")),
        every_port_from_the_vpc=ingress("sg-kms", cidrs("10.0.0.0/16", protocol="-1", port=-1)),
        ssh_from_the_vpc=ingress("sg-kms", cidrs("10.0.0.0/16", port=22)),
        foreign_group=ingress("sg-kms", {**cidrs(), "UserIdGroupPairs": [{"GroupId": "sg-x", "UserId": FOREIGN}]}),
        group_unreadable=put("network.security_groups", None),
    ),
    *table(
        "GR-NET-07",
        world_ssh=ingress("sg-job", cidrs("0.0.0.0/0", port=22)),
        world_in_halves=ingress("sg-job", cidrs(*HALVES, port=22)),
        world_in_quarters=ingress("sg-job", cidrs("0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2")),
        world_v6=ingress("sg-job", cidrs("::/0")),
        global_unicast_v6=ingress("sg-job", cidrs("2000::/3")),
        one_public_host=ingress("sg-job", cidrs("198.51.100.7/32", port=22)),
        public_prefix_list=with_prefix_lists(ingress("sg-job", prefix("pl-corp", 22)), **{"pl-corp": list(HALVES)}),
        prefix_list_unresolved=ingress("sg-job", prefix("pl-corp", 22)),
        foreign_group=ingress("sg-job", pairs({"GroupId": "sg-theirs", "UserId": FOREIGN})),
        peered_group=ingress("sg-job", pairs({"GroupId": "sg-peer", "UserId": ACCOUNT, "VpcPeeringConnectionId": "pcx-1"})),
        group_of_another_vpc=edit(
            lambda d: (
                d["network"]["security_groups"]["sg-job"]["IpPermissions"].append(pairs({"GroupId": "sg-2", "UserId": ACCOUNT})),
                d["network"].update(referenced_groups={"sg-2": {"OwnerId": ACCOUNT, "VpcId": "vpc-2"}}),
            )
        ),
        owner_unknown=ingress("sg-job", pairs({"GroupId": "sg-unknown"})),
        not_a_cidr=ingress("sg-job", cidrs("everywhere")),
        group_missing=put("security_group_ids", ("sg-missing",)),
        other_vpc=put("network.security_groups.sg-job.VpcId", "vpc-2"),
    ),
]

# ---------------------------------------------------------------- identities

TRUST = "service_role.trust.Statement"
GOOD_TRUST = {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": JOBS}}


def trust_condition(condition: dict[str, Any]) -> Make:
    return put(f"{TRUST}.0.Condition", condition)


def role_allows(*statements: dict[str, Any]) -> Make:
    return append("service_role.inline_policies.0.Statement", *statements)


def launcher(*statements: dict[str, Any]) -> Make:
    return append("launcher_role.inline_policies.0.Statement", *statements)


def pass_role(resource: Any, condition: dict[str, Any] | None = None, action: Any = "iam:PassRole") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **({"Condition": condition} if condition is not None else {})}


SCHEDULER = f"arn:aws:iam::{ACCOUNT}:role/s-ttl-scheduler"
EC2_FULL = {"Version": "2012-10-17", "Statement": [allow(Action="ec2:*", Resource="*")]}


def managed(arn: str, document: dict[str, Any] | None) -> Make:
    documents = {arn: document} if document is not None else {}
    return edit(lambda d: d["service_role"].update(attached_policy_arns=[arn], attached_policies=documents))


IDENTITY_TABLE = [
    *table(
        "GR-IAM-01",
        not_equals=trust_condition({"StringNotEquals": {"aws:SourceAccount": ACCOUNT}, "ArnNotLike": {"aws:SourceArn": JOBS}}),
        if_exists=trust_condition({"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}, "ArnLikeIfExists": {"aws:SourceArn": JOBS}}),
        account_only=trust_condition({"StringEquals": {"aws:SourceAccount": ACCOUNT}}),
        arn_only=trust_condition({"ArnLike": {"aws:SourceArn": JOBS}}),
        another_accounts_jobs=trust_condition(
            {"StringEquals": {"aws:SourceAccount": FOREIGN}, "ArnLike": {"aws:SourceArn": JOBS.replace(ACCOUNT, FOREIGN)}}
        ),
        any_region_any_resource=trust_condition({**GOOD_TRUST, "ArnLike": {"aws:SourceArn": f"arn:aws:bedrock:*:{ACCOUNT}:*"}}),
        for_all_values=trust_condition({"ForAllValues:StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": JOBS}}),
        no_condition=trust_condition({}),
        everyone=put(f"{TRUST}.0.Principal", {"AWS": "*"}),
        second_path_not_action=append(TRUST, allow(Principal="*", NotAction="iam:*")),
        another_service=append(TRUST, allow(Principal={"Service": "lambda.amazonaws.com"}, Action="sts:AssumeRole")),
        our_own_account=append(TRUST, allow(Principal={"AWS": ROOT}, Action="sts:AssumeRole")),
        web_identity=append(
            TRUST, allow(Principal={"Federated": "cognito-identity.amazonaws.com"}, Action="sts:AssumeRoleWithWebIdentity")
        ),
        action_case=append(TRUST, allow(Principal={"AWS": f"arn:aws:iam::{FOREIGN}:root"}, Action="STS:assumerole")),
        analyzer_fail=put("service_role.trust_public_access_check", ANALYZER_FAIL),
        unreadable=put("service_role.trust", None),
    ),
    *table(
        "GR-IAM-02",
        every_s3_action=put("service_role.inline_policies.0.Statement.0.Action", "s3:*"),
        other_bucket=put("service_role.inline_policies.0.Statement.0.Resource", "arn:aws:s3:::other-bucket/*"),
        not_action=put("service_role.inline_policies.0.Statement.0", allow(NotAction="iam:*", Resource=f"{B}/*")),
        not_resource=role_allows(allow(Action="s3:GetObject", NotResource=f"{B}/incoming/*")),
        iam_upper=role_allows(allow(Action="IAM:*", Resource="*")),
        pass_role_lower=role_allows(allow(Action="iam:passrole", Resource="*")),
        assume_role=role_allows(allow(Action="sts:AssumeRole", Resource="*")),
        ec2_everything=role_allows(allow(Action="ec2:*", Resource="*")),
        ec2_describe_glob=role_allows(allow(Action="ec2:Describe*", Resource="*")),
        secrets=role_allows(allow(Action="secretsmanager:GetSecretValue", Resource="*")),
        put_validated=role_allows(allow(Action="s3:PutObject", Resource=f"{B}/validated/*")),
        delete_objects=role_allows(allow(Action="s3:DeleteObject", Resource=f"{B}/output/*")),
        any_key=role_allows(allow(Action="kms:Decrypt", Resource="*")),
        conditional_wildcard=role_allows(allow(Action="*", Resource="*", Condition={"StringEquals": {"aws:RequestedRegion": REGION}})),
        unreadable=put("service_role.inline_policies", None),
    ),
    *table(
        "GR-IAM-03",
        deletes=put("service_role.simulation", simulated(flip=("s3:DeleteObject", f"{B}/validated/x.jsonl"))),
        cannot_read=put("service_role.simulation", simulated(flip=("s3:GetObject", f"{B}/validated/x.jsonl"))),
        analyzer_fail=put("service_role.access_not_granted", not_granted(fail=("s3:DeleteObject", f"{B}/validated/x.jsonl"))),
        analyzer_partial=put("service_role.access_not_granted", not_granted()[:-1]),
        not_simulated=put("service_role.simulation", None),
    ),
    *table(
        "GR-IAM-04",
        s3_full=managed("arn:aws:iam::aws:policy/AmazonS3FullAccess", None),
        administrator=managed("arn:aws:iam::aws:policy/AdministratorAccess", None),
        ec2_full_by_document=managed("arn:aws:iam::aws:policy/AmazonEC2FullAccess", EC2_FULL),
        customer_assume_role=managed(f"arn:aws:iam::{ACCOUNT}:policy/hop", {"Statement": [allow(Action="sts:AssumeRole", Resource="*")]}),
        read_only_everything=managed(
            "arn:aws:iam::aws:policy/ReadOnlyAccess", {"Statement": [allow(Action=["s3:Get*", "ec2:Describe*"], Resource="*")]}
        ),
        document_unreadable=managed(f"arn:aws:iam::{ACCOUNT}:policy/mystery", None),
        list_unreadable=put("service_role.attached_policy_arns", None),
    ),
    *table(
        "GR-IAM-05",
        any_role=put("launcher_role.inline_policies.0.Statement.0.Resource", "*"),
        any_service=put("launcher_role.inline_policies.0.Statement.0.Condition", {}),
        not_action=launcher(allow(NotAction="s3:*", Resource="*")),
        role_glob=launcher(
            pass_role(f"arn:aws:iam::{ACCOUNT}:role/s-*", {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}})
        ),
        service_role_elsewhere=launcher(pass_role(ROLE, {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}})),
        another_role_to_bedrock=launcher(pass_role(SCHEDULER, {"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}})),
        lower_case_action=launcher(pass_role("*", action="iam:passrole")),
        iam_upper=launcher(pass_role("*", action="IAM:*")),
        service_like_any=launcher(pass_role(SCHEDULER, {"StringLike": {"iam:PassedToService": "*"}})),
        service_if_exists=put(
            "launcher_role.inline_policies.0.Statement.0.Condition",
            {"StringEqualsIfExists": {"iam:PassedToService": "bedrock.amazonaws.com"}},
        ),
        service_not_equals=launcher(pass_role(SCHEDULER, {"StringNotEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}})),
        cannot_pass=put("launcher_role.inline_policies.0.Statement", []),
        analyzer_finding=put("launcher_role.policy_findings", [PASS_ROLE_FINDING]),
        analyzer_not_run=put("launcher_role.policy_findings", None),
        unreadable=put("launcher_role", None),
    ),
]

# ---------------------------------------------------------------- the stack's plumbing and purchases

TRIGGER = "function_policies.trigger.Statement"


def invoke(**statement: Any) -> Make:
    return append(TRIGGER, {"Effect": "Allow", "Action": "lambda:InvokeFunction", **statement}, base=ops_good)


def purchase_good() -> dict[str, Any]:
    job = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-customization-job/r-1"
    return {
        "expected_key_arn": KEY,
        "job_arn": job,
        "custom_model": {"modelKmsKeyArn": KEY, "jobArn": job},
        "model_units": 1,
        "max_model_units": 1,
        "commitment": None,
        "client_request_token": "r-1",
        "run_id": "r-1",
    }


PLUMBING_TABLE = [
    *table(
        "GR-OPS-04",
        "ops",
        everyone=invoke(Principal="*"),
        any_account_rule=invoke(Principal="*", Condition={"ArnLike": {"AWS:SourceArn": "arn:aws:events:*:*:rule/*"}}),
        foreign_account=invoke(Principal={"AWS": FOREIGN}),
        service_unbound=invoke(Principal={"Service": "s3.amazonaws.com"}),
        service_for_a_foreign_account=invoke(
            Principal={"Service": "sns.amazonaws.com"}, Condition={"StringEquals": {"AWS:SourceAccount": FOREIGN}}
        ),
        not_principal=invoke(NotPrincipal={"Service": "events.amazonaws.com"}),
        unreadable=put("function_policies.notify", None, base=ops_good),
    ),
    *table(
        "GR-OPS-08",
        "ops",
        any_account=put("rules.r1.pattern.account", None, base=ops_good),
        no_status=put("rules.r1.pattern.detail", {}, base=ops_good),
        no_dlq=put("rules.r1.targets", [{"Arn": "x"}], base=ops_good),
        unreadable=put("rules", None, base=ops_good),
    ),
    *table(
        "GR-OPS-02",
        "ops",
        free_text=put("notification_fields", {"JOB_FAILED": ("runId", "message")}, base=ops_good),
        unreadable=put("notification_fields", None, base=ops_good),
        dataset_line=put("notification_fields", {"GUARDRAIL_FAILED": ("firstRecord",)}, base=ops_good),
    ),
    *table(
        "GR-JOB-07",
        "purchase",
        other_key=put("custom_model.modelKmsKeyArn", KEY.replace("k1", "k2"), base=purchase_good),
        other_job=put("custom_model.jobArn", "arn:aws:bedrock:us-east-1:1:model-customization-job/x", base=purchase_good),
        unreadable=put("custom_model", None, base=purchase_good),
    ),
    *table(
        "GR-JOB-08",
        "purchase",
        over_cap=put("model_units", 2, base=purchase_good),
        commitment=put("commitment", "OneMonth", base=purchase_good),
        random_token=put("client_request_token", "fresh", base=purchase_good),
    ),
]
