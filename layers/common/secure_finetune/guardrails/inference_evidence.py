"""The live evidence the private-inference rows (GR-NET-12..14, ``rules/inference.py``) judge, as plain values.

Gathered by ``adapters/endpoints.py`` for the pipeline's guardrail step and ``finetune preflight``. As in
``evidence.py``: a field that could not be read is ``None`` and the rows reading it answer UNKNOWN (fail closed).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from .partitions import partition

INFERENCE_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")  # Converse/ConverseStream authorize as these


class InferenceEvidence(BaseModel):
    model_config = ConfigDict(frozen=True)

    account: str
    region: str
    enabled: bool  # the stack's PrivateInference parameter (off: the rows are not applicable)
    function: str | None  # the smoke-test function (in the job subnets: it makes the model calls)
    # lambda:GetFunctionConfiguration -> VpcConfig {SubnetIds, SecurityGroupIds} ({}: the function is not in a VPC).
    # Its VpcId is not trusted (emulators invent one): the VPC is the one the subnets are in.
    client: dict[str, Any] | None
    subnets: dict[str, dict[str, Any]] | None  # DescribeSubnets of the client's and the endpoints' subnets, by id
    vpc: dict[str, Any] | None  # the client VPC: CidrBlocks (every associated block), EnableDnsSupport, EnableDnsHostnames
    endpoints: list[dict[str, Any]] | None  # every bedrock-runtime endpoint of that VPC, PolicyDocument parsed
    security_groups: dict[str, dict[str, Any]] | None  # the endpoints' and the client's groups, by id
    prefix_lists: dict[str, list[str]] | None = None  # every prefix list those groups name -> its CIDRs
    referenced_groups: dict[str, dict[str, Any]] | None = None  # other groups of this account they name -> OwnerId, VpcId

    @property
    def partition(self) -> str:
        return partition(self.region)

    @property
    def client_subnets(self) -> tuple[str, ...]:
        return tuple((self.client or {}).get("SubnetIds") or ())

    @property
    def client_groups(self) -> tuple[str, ...]:
        return tuple((self.client or {}).get("SecurityGroupIds") or ())
