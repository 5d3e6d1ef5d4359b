"""Red team: every blocking check against a table of hostile variants (``red_team_variants*.py``), each asserted FAIL
or UNKNOWN with that check's id; then Hypothesis properties over the rules themselves: reordering statements,
changing the case of actions, splitting a CIDR into halves and adding an irrelevant statement never change a
check's verdict (so never turn FAIL into PASS, nor PASS into FAIL).

The engine's own properties are in ``test_policy_engine.py``; these are about the rules that ask it.
"""

from __future__ import annotations

import copy
import ipaddress
import json
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from secure_finetune.guardrails import (
    OPS_CHECKS,
    PRE_LAUNCH_CHECKS,
    PURCHASE_CHECKS,
    Check,
    Evidence,
    PurchaseEvidence,
    Severity,
    StackEvidence,
    Status,
)
from tests.unit.red_team_variants import BASICS, BUCKET_TABLE, CLEAN, MALWARE, Hostile
from tests.unit.red_team_variants_evaluation import EVALUATION_TABLE
from tests.unit.red_team_variants_grader import GRADER_TABLE
from tests.unit.red_team_variants_more import IDENTITY_TABLE, KEY_TABLE, NETWORK_TABLE, PLUMBING_TABLE, purchase_good
from tests.unit.red_team_variants_vpc_path import VPC_PATH_TABLE
from tests.unit.test_guardrails import good
from tests.unit.test_guardrails_malware import ONLY_GUARDDUTY_TAGS, scanned
from tests.unit.test_guardrails_ops import ops_good

TABLE: list[Hostile] = [
    *BASICS, *MALWARE, *BUCKET_TABLE, *VPC_PATH_TABLE, *KEY_TABLE, *NETWORK_TABLE, *IDENTITY_TABLE, *PLUMBING_TABLE, *EVALUATION_TABLE,
    *GRADER_TABLE,
]  # fmt: skip
CHECKS: dict[str, Check] = {c.id: c for c in (*PRE_LAUNCH_CHECKS, *OPS_CHECKS, *PURCHASE_CHECKS) if c.severity is Severity.BLOCK}
MODELS: dict[str, type[BaseModel]] = {"pre": Evidence, "ops": StackEvidence, "purchase": PurchaseEvidence}
BASES: dict[str, Callable[[], dict[str, Any]]] = {"pre": good, "ops": ops_good, "purchase": purchase_good}

# Checks that read a policy, a route table or a security group: the families of issue 11, held to a larger table.
SEMANTIC = {
    "GR-OBJ-07", "GR-S3-04", "GR-S3-08", "GR-S3-13", "GR-KMS-03", "GR-KMS-04", "GR-NET-01", "GR-NET-05", "GR-NET-06", "GR-NET-07",
    "GR-IAM-01", "GR-IAM-02", "GR-IAM-04", "GR-IAM-05", "GR-OPS-04", "GR-EVAL-01", "GR-EVAL-02", "GR-RFT-01", "GR-RFT-02",
}  # fmt: skip
MINIMUM, SEMANTIC_MINIMUM = 3, 7


def judge(check_id: str, kind: str, data: dict[str, Any]) -> Status:
    return CHECKS[check_id](MODELS[kind].model_validate(data)).status


def sizes() -> Counter[str]:
    return Counter(h.check_id for h in TABLE)


def test_every_blocking_check_has_a_table_of_hostile_variants(capsys: pytest.CaptureFixture[str], record_property: Any) -> None:
    counts = sizes()
    with capsys.disabled():
        print("\nred-team variants per blocking check: " + ", ".join(f"{c} {counts[c]}" for c in sorted(CHECKS)) + f"; total {len(TABLE)}")
    for check_id in CHECKS:
        record_property(check_id, counts[check_id])
    assert set(counts) <= set(CHECKS), "a variant names a check that does not exist or does not block"
    short = {c: counts[c] for c in CHECKS if counts[c] < (SEMANTIC_MINIMUM if c in SEMANTIC else MINIMUM)}
    assert short == {}, "every blocking check needs its table (the families of issue 11 a larger one)"
    names = Counter((h.check_id, h.name) for h in TABLE)
    assert [n for n, k in names.items() if k > 1] == []


@pytest.mark.parametrize("kind", sorted(BASES))
def test_the_secure_setup_passes_every_check_the_table_attacks(kind: str) -> None:
    attacked = {h.check_id for h in TABLE if h.kind == kind} - {"GR-OBJ-07"}
    assert {c: judge(c, kind, BASES[kind]()) for c in attacked} == dict.fromkeys(attacked, Status.PASS)
    assert judge("GR-OBJ-07", "pre", scanned(CLEAN, ONLY_GUARDDUTY_TAGS)) is Status.PASS  # the docs' statement, a clean tag


@pytest.mark.parametrize("hostile", TABLE, ids=[f"{h.check_id}:{h.name}" for h in TABLE])
def test_a_hostile_variant_never_passes_its_check(hostile: Hostile) -> None:
    assert judge(hostile.check_id, hostile.kind, hostile.make()) in (Status.FAIL, Status.UNKNOWN)


# ---------------------------------------------------------------- other partitions: the same verdicts


PARTITIONS = {"aws-us-gov": "us-gov-west-1", "aws-cn": "cn-north-1"}


def in_partition(data: dict[str, Any], partition: str) -> dict[str, Any]:
    """The evidence of the same stack deployed in another partition: its ARNs and its region rewritten."""
    text = json.dumps(data).replace("arn:aws:", f"arn:{partition}:").replace("us-east-1", PARTITIONS[partition])
    return dict(json.loads(text))


@pytest.mark.parametrize("partition", sorted(PARTITIONS))
@pytest.mark.parametrize("kind", sorted(BASES))
def test_the_secure_setup_passes_in_govcloud_and_china_too(kind: str, partition: str) -> None:
    # the rules build the stack's ARNs in the run's partition: a GovCloud stack is not blocked by arn:aws:... witnesses
    attacked = {h.check_id for h in TABLE if h.kind == kind} - {"GR-OBJ-07"}
    found = {c: judge(c, kind, in_partition(BASES[kind](), partition)) for c in attacked}
    assert found == dict.fromkeys(attacked, Status.PASS)


@pytest.mark.parametrize("partition", sorted(PARTITIONS))
def test_every_hostile_variant_still_fails_in_govcloud_and_china(partition: str) -> None:
    # ... and no hostile variant passes there because a witness was built in the commercial partition
    passed = [f"{h.check_id}:{h.name}" for h in TABLE if judge(h.check_id, h.kind, in_partition(h.make(), partition)) is Status.PASS]
    assert passed == []


# ---------------------------------------------------------------- properties


def documents(data: dict[str, Any], kind: str) -> Iterator[dict[str, Any]]:
    """Every policy document in the evidence, in place."""
    if kind == "ops":
        yield from (p for p in (data.get("function_policies") or {}).values() if p)
        return
    if kind != "pre":
        return
    bucket, key, network = data.get("bucket") or {}, data.get("key") or {}, data.get("network") or {}
    role, launcher = data.get("service_role") or {}, data.get("launcher_role") or {}
    found = [bucket.get("policy"), key.get("policy"), role.get("trust")]
    found += [
        *(role.get("inline_policies") or []),
        *(role.get("attached_policies") or {}).values(),
        *(launcher.get("inline_policies") or []),
    ]
    found += [e.get("PolicyDocument") for e in network.get("s3_endpoints") or []]
    yield from (d for d in found if isinstance(d, dict) and isinstance(d.get("Statement"), list))


def reorder(data: dict[str, Any], kind: str, rnd: Any) -> None:
    for document in documents(data, kind):
        rnd.shuffle(document["Statement"])


def recase(data: dict[str, Any], kind: str, rnd: Any) -> None:
    def flip(action: Any) -> Any:
        if isinstance(action, list):
            return [flip(a) for a in action]
        return "".join(c.upper() if rnd.random() < 0.5 else c.lower() for c in action) if isinstance(action, str) else action

    for document in documents(data, kind):
        for statement in document["Statement"]:
            for element in ("Action", "NotAction"):
                if isinstance(statement, dict) and element in statement:
                    statement[element] = flip(statement[element])


def add_irrelevant(data: dict[str, Any], kind: str, rnd: Any, effects: tuple[str, ...] = ("Deny",)) -> None:
    """A statement about another service's actions on another resource. A Deny of it changes nothing anywhere; an
    Allow of it is no business of any check but least privilege (where it must fail), so only hostile variants get
    one (it can never make them pass)."""
    for document in documents(data, kind):
        irrelevant = {"Effect": rnd.choice(effects), "Action": ["zzz:Unrelated", "zzz:Other*"], "Resource": "arn:aws:zzz:::thing"}
        document["Statement"].insert(rnd.randint(0, len(document["Statement"])), irrelevant)


def _halves(cidr: str, depth: int) -> list[str]:
    network = ipaddress.ip_network(cidr, strict=False)
    if depth == 0 or network.prefixlen >= network.max_prefixlen - 1:
        return [str(network)]
    return [half for sub in network.subnets() for half in _halves(str(sub), depth - 1)]


def split_cidrs(data: dict[str, Any], kind: str, rnd: Any) -> None:
    """Every CIDR of a route, a group rule or a prefix list, as its halves (one to three levels deep)."""
    network = data.get("network") if kind == "pre" else None
    if not network:
        return
    for table in (network.get("route_tables") or {}).values():
        routes = []
        for route in table.get("Routes", []):
            field = next((f for f in ("DestinationCidrBlock", "DestinationIpv6CidrBlock") if route.get(f)), None)
            parts = _halves(route[field], rnd.randint(1, 3)) if field else [None]
            routes += [{**route, **({field: part} if field else {})} for part in parts]
        table["Routes"] = routes
    for group in (network.get("security_groups") or {}).values():
        for permission in group.get("IpPermissions", []):
            for ranges, field in (("IpRanges", "CidrIp"), ("Ipv6Ranges", "CidrIpv6")):
                split = []
                for entry in permission.get(ranges, []):
                    valid = _valid(entry.get(field))
                    split += [{**entry, field: part} for part in _halves(entry[field], rnd.randint(1, 3))] if valid else [entry]
                permission[ranges] = split
    lists = network.get("prefix_lists") or {}
    for list_id, entries in lists.items():
        lists[list_id] = [part for entry in entries for part in (_halves(entry, rnd.randint(1, 2)) if _valid(entry) else [entry])]


def _valid(cidr: Any) -> bool:
    try:
        ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return False
    return True


SUBJECTS = (
    [h for h in TABLE if h.check_id in SEMANTIC]
    + [
        Hostile(c, "secure", BASES[k], k)
        for c, k in [(h.check_id, h.kind) for h in TABLE if h.check_id in SEMANTIC and h.check_id != "GR-OBJ-07"]
    ]
    + [Hostile("GR-OBJ-07", "secure", lambda: scanned(CLEAN, ONLY_GUARDDUTY_TAGS))]
)
TRANSFORMS = {"reorder": reorder, "recase": recase, "add_irrelevant": add_irrelevant, "split_cidrs": split_cidrs}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SUBJECTS), st.sampled_from(sorted(TRANSFORMS)), st.randoms(use_true_random=False))
def test_a_semantics_preserving_change_never_changes_a_verdict(subject: Hostile, transform: str, rnd: Any) -> None:
    """Reordering statements, changing the case of actions, splitting CIDRs, adding an irrelevant statement: AWS
    decides the same, so must we (in particular FAIL never becomes PASS)."""
    data = subject.make()
    before = judge(subject.check_id, subject.kind, copy.deepcopy(data))
    TRANSFORMS[transform](data, subject.kind, rnd)
    assert judge(subject.check_id, subject.kind, data) is before


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([h for h in TABLE if h.check_id in SEMANTIC]), st.randoms(use_true_random=False))
def test_all_the_changes_at_once_never_turn_a_hostile_variant_into_a_pass(subject: Hostile, rnd: Any) -> None:
    data = subject.make()
    for transform in TRANSFORMS.values():
        transform(data, subject.kind, rnd)
    add_irrelevant(data, subject.kind, rnd, effects=("Allow", "Deny"))
    assert judge(subject.check_id, subject.kind, data) in (Status.FAIL, Status.UNKNOWN)
