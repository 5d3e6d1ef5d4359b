"""Issue 16 with the stack's PrivateInference=false: no endpoint, GR-NET-12..14 not applicable, the public path.

Its own module: it deploys its own emulated stack (one moto account per process at a time), which the module-scoped
stack of ``test_private_inference.py`` would collide with.
"""

from __future__ import annotations

from collections.abc import Callable

import boto3
from local.emulator import LocalPipeline

from secure_finetune.reports import SmokeReport

from .test_private_inference import Stack, preflight_rows, smoke


def test_with_private_inference_off_there_is_no_endpoint_the_rows_say_not_applicable_and_the_smoke_test_goes_public(
    pipeline_with: Callable[..., LocalPipeline],
) -> None:
    pipeline = pipeline_with(PrivateInference="false")
    off = Stack(pipeline, {})
    assert (off.outputs["PrivateInference"], off.outputs["BedrockRuntimeEndpointId"]) == ("false", "")
    function = boto3.client("lambda").get_function_configuration(FunctionName=off.outputs["SmokeTestFunctionName"])
    assert not (function.get("VpcConfig") or {}).get("SubnetIds")  # outside any VPC: the public endpoint
    assert "SmokeTestSecurityGroup" not in pipeline.stack.physical_ids and "S3PrefixList" not in pipeline.stack.physical_ids
    assert not [e for e in boto3.client("ec2").describe_vpc_endpoints()["VpcEndpoints"] if e["ServiceName"].endswith("bedrock-runtime")]
    for status, why in preflight_rows(off).values():
        assert status == "PASS" and "not applicable" in why
    state, answer = smoke(off)
    assert answer["passed"] is True, answer
    path = pipeline.report(state.run.run_id, SmokeReport).path
    assert path is not None and path.private is False and pipeline.private_link.calls == []
