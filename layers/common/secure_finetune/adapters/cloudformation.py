"""CloudFormation: the status of the stack a custom resource belongs to."""

from __future__ import annotations

from .clients import client


def stack_status(stack_id: str) -> str:
    """``StackStatus`` of the stack (by its id, which stays valid while the stack is deleting)."""
    stacks = client("cloudformation").describe_stacks(StackName=stack_id)["Stacks"]
    return str(stacks[0]["StackStatus"])
