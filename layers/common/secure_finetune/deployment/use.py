"""How applications call the deployed model (the seed's last step, "Use the model"): the example call owners get in
THROUGHPUT_READY and in the run report, through the stack's bedrock-runtime interface endpoint when there is one."""

from __future__ import annotations

from ..reports import SmokeReport


def private_endpoint(smoke: SmokeReport | None) -> str | None:
    """The bedrock-runtime interface endpoint's DNS name the smoke test went through (None: public path or unknown)."""
    path = smoke.path if smoke is not None else None
    return path.endpoint_dns_name if path is not None and path.private and path.endpoint_dns_name else None


def example_call(model_arn: str, region: str, endpoint_dns_name: str | None = None) -> str:
    """The call an application makes; with the endpoint's own DNS name it goes through the endpoint from anywhere
    routed to the VPC (inside the VPC, private DNS sends the regional hostname there too)."""
    through = f"--endpoint-url https://{endpoint_dns_name} " if endpoint_dns_name else ""
    return (
        f"aws bedrock-runtime converse --region {region} {through}--model-id {model_arn} "
        """--messages '[{"role":"user","content":[{"text":"Hello"}]}]'"""
    )
