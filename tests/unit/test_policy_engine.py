"""The IAM policy evaluator: operator tables, Not* elements, precedence, UNKNOWN, hostile variants, properties.

Cases marked with a doc page title come from the AWS IAM User Guide page of that title.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secure_finetune.guardrails.policy_engine import (
    ABSENT,
    Principal,
    RequestContext,
    SomeAccount,
    SomeArn,
    Tri,
    allows,
    denies,
    glob_contains,
    glob_intersects,
    grants,
    parse_operator,
)

T, F, U = Tri.TRUE, Tri.FALSE, Tri.UNKNOWN
A, B, C = "111122223333", "444455556666", "777788889999"
REGION = "us-east-1"
BUCKET = "arn:aws:s3:::data-bucket"
KEY = f"arn:aws:kms:{REGION}:{A}:key/k1"
ROLE = f"arn:aws:iam::{A}:role/s-bedrock-job"
SOURCE = f"arn:aws:bedrock:{REGION}:{A}:model-customization-job/*"
BEDROCK = "bedrock.amazonaws.com"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(**extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", **extra}


def condition(operator: str, key: str, values: Any, request: Any) -> Tri:
    """One clause in an Allow: is the request allowed, with ``request`` the key's value (or ABSENT)?"""
    doc = policy(allow(Condition={operator: {key: values}}))
    return allows(doc, "s3:GetObject", "x", RequestContext(keys={key: request}))


# ---------------------------------------------------------------- Tri and globs


def test_tri_is_kleene_and_never_a_bool() -> None:
    assert (T & U, F & U, T | U, F | U, ~U, ~T) == (U, F, T, U, U, F)
    with pytest.raises(TypeError):
        bool(U)


@pytest.mark.parametrize(
    ("p", "q", "meets", "p_contains_q"),
    [
        ("s3:*", "s3:Get*", True, True),
        ("s3:Get*", "s3:*", True, False),
        ("s3:Get?", "s3:Get*", True, False),  # '?' is one character, '*' any run
        ("*Object", "s3:Get*", True, False),
        ("iam:*", "s3:*", False, False),
        ("*", "anything:*", True, True),
        ("s3:G?t*", "s3:GetObject", True, True),
    ],
)
def test_glob_intersection_and_containment(p: str, q: str, meets: bool, p_contains_q: bool) -> None:
    assert glob_intersects(p, q) is meets
    assert glob_contains(p, q) is p_contains_q


# ---------------------------------------------------------------- condition operators, per family


@pytest.mark.parametrize(
    ("operator", "values", "request_value", "expected"),
    [
        # String: case-sensitive; IgnoreCase; Like with * and ?
        ("StringEquals", "abc", "abc", T),
        ("StringEquals", "abc", "ABC", F),
        ("StringEquals", ["x", "abc"], "abc", T),  # values OR
        ("StringNotEquals", ["x", "abc"], "abc", F),  # negated: NOR
        ("StringNotEquals", ["x", "y"], "abc", T),
        ("StringEqualsIgnoreCase", "abc", "ABC", T),
        ("StringNotEqualsIgnoreCase", "abc", "ABC", F),
        ("StringLike", "a*c", "abbbc", T),
        ("StringLike", "a?c", "abbc", F),
        ("StringLike", "A*", "abc", F),
        ("StringNotLike", "a*", "abc", F),
        ("StringNotLike", "b*", "abc", T),
        ("StringEquals", 123456789012, "123456789012", T),  # a JSON number in the policy is its text
        # Numeric
        ("NumericEquals", "10", "10.0", T),
        ("NumericNotEquals", "10", "11", T),
        ("NumericLessThan", "1.2", "1.1", T),
        ("NumericLessThan", "1.2", "1.2", F),
        ("NumericLessThanEquals", "1.2", "1.2", T),
        ("NumericGreaterThan", "5", "6", T),
        ("NumericGreaterThanEquals", "5", "4", F),
        ("NumericEquals", "ten", "10", U),
        # Date: ISO 8601 or epoch seconds
        ("DateGreaterThan", "2020-01-01T00:00:00Z", "2021-06-01T12:00:00Z", T),
        ("DateLessThan", "2020-01-01T00:00:00Z", "2021-06-01T12:00:00Z", F),
        ("DateEquals", "1577836800", "2020-01-01T00:00:00Z", T),
        ("DateNotEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", F),
        ("DateLessThanEquals", "2020-01-01", "2020-01-01T00:00:00+00:00", T),
        ("DateGreaterThanEquals", "2020-01-01T00:00:00Z", "not a date", U),
        # Bool: "true"/"false" either case, a bool in the request
        ("Bool", "false", False, T),
        ("Bool", "FALSE", "false", T),
        ("Bool", ["false"], True, F),
        ("Bool", "maybe", True, U),
        # Binary: base64
        ("BinaryEquals", "QmluYXJ5", b"Binary", T),
        ("BinaryEquals", "QmluYXJ5", "QmluYXJ5", T),
        ("BinaryEquals", "QmluYXJ5", b"other", F),
        # IP: CIDR or single address, v4 and v6
        ("IpAddress", "203.0.113.0/24", "203.0.113.7", T),
        ("IpAddress", "203.0.113.0/24", "198.51.100.7", F),
        ("IpAddress", "2001:db8::/32", "2001:db8::1", T),
        ("IpAddress", "203.0.113.7", "203.0.113.7", T),
        ("NotIpAddress", ["203.0.113.0/24", "10.0.0.0/8"], "10.1.2.3", F),
        ("NotIpAddress", "203.0.113.0/24", "10.1.2.3", T),
        # ARN: each of the six fields alone; ArnEquals takes wildcards too
        (
            "ArnLike",
            "arn:aws:bedrock:*:111122223333:model-customization-job/*",
            f"arn:aws:bedrock:{REGION}:{A}:model-customization-job/j",
            T,
        ),
        ("ArnLike", "arn:aws:bedrock:*:111122223333:*", f"arn:aws:bedrock:{REGION}:{B}:model-customization-job/j", F),
        ("ArnEquals", "arn:aws:s3:::b*", "arn:aws:s3:::bucket", T),
        ("ArnNotLike", "arn:aws:s3:::b*", "arn:aws:s3:::bucket", F),
        ("ArnNotEquals", "arn:aws:s3:::other", "arn:aws:s3:::bucket", T),
        ("ArnLike", "arn:aws:s3:::*", "not-an-arn", F),
    ],
)
def test_operator_families(operator: str, values: Any, request_value: Any, expected: Tri) -> None:
    assert condition(operator, "k:key", values, request_value) is expected


# "IAM JSON policy elements: Condition operators": an absent key makes a condition false, true when the
# operator is negated; ...IfExists is true on an absent key; Null tests presence.
@pytest.mark.parametrize(
    ("operator", "values", "expected"),
    [
        ("StringEquals", "x", F),
        ("StringNotEquals", "x", T),
        ("StringNotLike", "x*", T),
        ("ArnNotLike", "arn:aws:s3:::x", T),
        ("NumericNotEquals", "1", T),
        ("DateNotEquals", "2020-01-01T00:00:00Z", T),
        ("NotIpAddress", "10.0.0.0/8", T),
        ("Bool", "true", F),
        ("StringEqualsIfExists", "x", T),
        ("BoolIfExists", "false", T),
        ("ArnLikeIfExists", "arn:aws:s3:::x", T),
        ("StringNotEqualsIfExists", "x", T),
        ("Null", "true", T),
        ("Null", "false", F),
        ("ForAllValues:StringEquals", "x", T),
        ("ForAnyValue:StringEquals", "x", F),
        ("ForAnyValue:StringNotEquals", "x", F),
        ("ForAllValues:StringNotLike", "x*", T),
    ],
)
def test_absent_key(operator: str, values: Any, expected: Tri) -> None:
    assert condition(operator, "k:key", values, ABSENT) is expected


@pytest.mark.parametrize(
    ("operator", "values", "request_value", "expected"),
    [
        ("StringEqualsIfExists", "x", "y", F),  # present: checked as usual
        ("StringNotEqualsIfExists", "x", "x", F),
        ("Null", "true", "v", F),
        ("Null", "false", "v", T),
        ("Null", ["true", "false"], "v", T),
    ],
)
def test_if_exists_and_null_with_a_present_key(operator: str, values: Any, request_value: Any, expected: Tri) -> None:
    assert condition(operator, "k:key", values, request_value) is expected


# "Multivalued context key examples": a Deny with ForAllValues:StringNotLike aws:TagKeys "key1*".
@pytest.mark.parametrize(
    ("tag_keys", "expected"),
    [(["key1:legal"], F), (["key1:hr", "key1:personnel"], F), (["key2:audit"], T), (ABSENT, T), ([], T)],
)
def test_for_all_values_doc_example(tag_keys: Any, expected: Tri) -> None:
    deny = policy(
        {
            "Effect": "Deny",
            "Action": ["iam:Tag*", "iam:UnTag*"],
            "Resource": ["*"],
            "Condition": {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}},
        }
    )
    assert denies(deny, "iam:TagRole", "*", RequestContext(keys={"aws:TagKeys": tag_keys})) is expected


@pytest.mark.parametrize(
    ("operator", "tags", "expected"),
    [
        ("ForAnyValue:StringEquals", ["a", "z"], T),
        ("ForAnyValue:StringEquals", ["y", "z"], F),
        ("ForAllValues:StringEquals", ["a", "b"], T),
        ("ForAllValues:StringEquals", ["a", "z"], F),
        ("ForAnyValue:StringNotEquals", ["a", "z"], T),  # some value is neither a nor b
        ("ForAnyValue:StringNotEquals", ["a", "b"], F),
        ("ForAllValues:StringNotEquals", ["y", "z"], T),
        ("ForAllValues:StringLike", ["a1", "b2"], T),
        ("StringEquals", ["a", "b"], U),  # a single-valued operator fed a list: unsure
        ("StringEquals", ["a"], T),
    ],
)
def test_set_qualifiers(operator: str, tags: list[str], expected: Tri) -> None:
    values = ["a*", "b*"] if "Like" in operator else ["a", "b"]
    assert condition(operator, "aws:TagKeys", values, tags) is expected


# "Conditions with multiple context keys or values": operators AND, keys AND, values OR.
def test_keys_and_operators_are_anded() -> None:
    doc = policy(allow(Condition={"StringEquals": {"k:a": "1", "k:b": "2"}, "Bool": {"k:c": "true"}}))
    ctx = {"k:a": "1", "k:b": "2", "k:c": True}
    assert allows(doc, "s3:GetObject", "x", RequestContext(keys=ctx)) is T
    assert allows(doc, "s3:GetObject", "x", RequestContext(keys={**ctx, "k:b": "3"})) is F
    assert allows(doc, "s3:GetObject", "x", RequestContext(keys={**ctx, "k:c": False})) is F


def test_condition_keys_are_case_insensitive_values_are_not() -> None:
    doc = policy(allow(Condition={"StringEquals": {"AWS:SourceAccount": A}}))
    assert allows(doc, "s3:GetObject", "x", RequestContext(keys={"aws:sourceaccount": A})) is T
    doc = policy(allow(Condition={"StringEquals": {"aws:PrincipalTag/team": "Data"}}))
    assert allows(doc, "s3:GetObject", "x", RequestContext(keys={"aws:principaltag/team": "data"})) is F


@pytest.mark.parametrize(
    "clause",
    [
        {"StringEqualsFancy": {"k:a": "1"}},  # unknown operator
        {"stringequals": {"k:a": "1"}},  # another spelling
        {"NullIfExists": {"k:a": "true"}},  # IfExists cannot qualify Null
        {"ForSomeValues:StringEquals": {"k:a": "1"}},
        {"StringEquals": {"k:a": "${aws:username}"}},  # a policy variable
        {"StringEquals": "not a block"},
        {"StringEquals": {"k:a": []}},
        {"StringEquals": {"k:unsupplied": "1"}},  # a key the caller did not supply
    ],
)
def test_what_cannot_be_proven_is_unknown(clause: dict[str, Any]) -> None:
    doc = policy(allow(Condition=clause))
    assert allows(doc, "s3:GetObject", "x", RequestContext(keys={"k:a": "1"})) is U
    assert denies(policy({**allow(Condition=clause), "Effect": "Deny"}), "s3:GetObject", "x", RequestContext(keys={"k:a": "1"})) is U


def test_complete_context_makes_unlisted_keys_absent() -> None:
    doc = policy(allow(Condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}))
    assert allows(doc, "s3:GetObject", "x", RequestContext()) is U
    assert allows(doc, "s3:GetObject", "x", RequestContext(complete=True)) is T


def test_parse_operator() -> None:
    assert parse_operator("ForAnyValue:StringLikeIfExists") == ("ForAnyValue", "StringLike", True)
    assert parse_operator("Null") == (None, "Null", False)
    assert parse_operator("ForAllValues:Null") is None


# ---------------------------------------------------------------- elements and precedence


@pytest.mark.parametrize(
    ("statement", "action", "resource", "expected"),
    [
        ({"Action": "IAM:*", "Resource": "*"}, "iam:PassRole", "*", T),  # action prefixes ignore case
        ({"Action": "iam:passrole", "Resource": "*"}, "iam:PassRole", "*", T),
        ({"Action": "iam:Pass?ole", "Resource": "*"}, "iam:PassRole", "*", T),
        ({"Action": "s3:*", "Resource": f"{BUCKET}/*"}, "s3:GetObject", f"{BUCKET}/a", T),
        ({"Action": "s3:*", "Resource": f"{BUCKET}/*"}, "s3:GetObject", "arn:aws:s3:::DATA-BUCKET/a", F),  # resources do not
        ({"NotAction": "kms:ScheduleKeyDeletion", "Resource": "*"}, "kms:PutKeyPolicy", "*", T),
        ({"NotAction": ["kms:*"], "Resource": "*"}, "KMS:Decrypt", "*", F),
        ({"Action": "s3:GetObject", "NotResource": f"{BUCKET}/validated/*"}, "s3:GetObject", "arn:aws:s3:::other/x", T),
        ({"Action": "s3:GetObject", "NotResource": f"{BUCKET}/validated/*"}, "s3:GetObject", f"{BUCKET}/validated/x", F),
        ({"Action": "s3:GetObject", "Resource": "arn:aws:s3:::${aws:username}/*"}, "s3:GetObject", "arn:aws:s3:::u/x", U),
        ({"Action": "s3:GetObject", "NotAction": "s3:PutObject", "Resource": "*"}, "s3:GetObject", "*", U),  # both: malformed
        ({"Resource": "*"}, "s3:GetObject", "*", U),  # no Action
        ({"Action": "s3", "Resource": "*"}, "s3:GetObject", "*", U),  # not an action
        ({"Action": "s3:GetObject"}, "s3:GetObject", "anything", T),  # trust-policy shape: no Resource
    ],
)
def test_action_and_resource_elements(statement: dict[str, Any], action: str, resource: str, expected: Tri) -> None:
    assert allows(policy({"Effect": "Allow", **statement}), action, resource) is expected


def test_explicit_deny_wins_and_no_allow_is_implicit_deny() -> None:
    doc = policy(allow(Resource="*"), {"Effect": "Deny", "Action": "s3:*", "Resource": f"{BUCKET}/secret/*"})
    assert allows(doc, "s3:GetObject", f"{BUCKET}/ok") is T
    assert allows(doc, "s3:GetObject", f"{BUCKET}/secret/x") is F
    assert denies(doc, "s3:GetObject", f"{BUCKET}/secret/x") is T
    assert allows(doc, "s3:PutObject", f"{BUCKET}/ok") is F
    assert denies(doc, "s3:PutObject", f"{BUCKET}/ok") is F
    # an Allow that only maybe applies cannot be beaten into TRUE, a Deny that maybe applies makes it UNKNOWN
    maybe_deny = policy(allow(), {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"k:x": "true"}}})
    assert allows(maybe_deny, "s3:GetObject", "x") is U


def test_malformed_documents_are_unknown() -> None:
    assert allows("not a policy", "s3:GetObject", "x") is U
    assert allows({"Statement": "nope"}, "s3:GetObject", "x") is U
    assert allows(policy({"Effect": "Maybe", "Action": "*", "Resource": "*"}), "s3:GetObject", "x") is U
    assert allows({"Version": "2012-10-17"}, "s3:GetObject", "x") is F  # no statement allows nothing
    assert allows({"Statement": allow()}, "s3:GetObject", "x") is T  # Statement as a single object


@pytest.mark.parametrize(
    ("element", "who", "expected"),
    [
        ({"Principal": "*"}, Principal.aws(f"arn:aws:iam::{B}:user/x"), T),
        ({"Principal": {"AWS": "*"}}, Principal.service("logs.amazonaws.com"), T),
        ({"Principal": {"AWS": A}}, Principal.aws(ROLE), T),  # an account matches all its principals
        ({"Principal": {"AWS": f"arn:aws:iam::{A}:root"}}, Principal.aws(ROLE), T),
        ({"Principal": {"AWS": f"arn:aws:iam::{A}:root"}}, Principal.aws(f"arn:aws:iam::{B}:role/r"), F),
        ({"Principal": {"AWS": ROLE}}, Principal.aws(f"arn:aws:iam::{A}:role/other"), F),
        ({"Principal": {"AWS": f"arn:aws:iam::{A}:role/*"}}, Principal.aws(ROLE), U),  # wildcard ARN: invalid
        ({"Principal": {"Service": BEDROCK}}, Principal.service(BEDROCK), T),
        ({"Principal": {"Service": BEDROCK}}, Principal.aws(ROLE), F),
        ({"NotPrincipal": {"AWS": ROLE}}, Principal.aws(f"arn:aws:iam::{B}:root"), T),
        ({"NotPrincipal": {"AWS": ROLE}}, Principal.aws(ROLE), F),
        ({"Principal": {"AWS": A}, "NotPrincipal": {"AWS": B}}, Principal.aws(ROLE), U),
        ({"Principal": {"Weird": "x"}}, Principal.aws(ROLE), U),
        ({"Principal": {"AWS": A}}, Principal.aws(SomeArn(SomeAccount(frozenset({A})))), F),
    ],
)
def test_principal_and_not_principal(element: dict[str, Any], who: Principal, expected: Tri) -> None:
    assert allows(policy(allow(**element)), "s3:GetObject", "x", RequestContext(principal=who)) is expected


def test_a_resource_policy_without_a_principal_in_the_request_is_unknown() -> None:
    assert allows(policy(allow(Principal={"AWS": A})), "s3:GetObject", "x") is U


# ---------------------------------------------------------------- properties

ACTIONS = ["s3:GetObject", "s3:PutObject", "kms:Decrypt", "iam:PassRole", "sts:AssumeRole"]
ACTION_PATTERNS = [*ACTIONS, "s3:*", "s3:Get*", "*", "kms:*", "iam:Pass?ole", "IAM:*"]
RESOURCES = ["arn:aws:s3:::b/x", "arn:aws:s3:::b", "arn:aws:s3:::other/y", KEY]
RESOURCE_PATTERNS = [*RESOURCES, "*", "arn:aws:s3:::b/*", "arn:aws:s3:::*"]
CONDITIONS = [
    None,
    {"Bool": {"aws:SecureTransport": "false"}},
    {"StringEquals": {"aws:SourceAccount": A}},
    {"StringNotEqualsIfExists": {"aws:SourceVpce": "vpce-1"}},
    {"ForAnyValue:StringLike": {"aws:TagKeys": "t*"}},
    {"Null": {"aws:SourceVpce": "true"}},
    {"WeirdOperator": {"k:x": "1"}},
    {"StringEquals": {"aws:username": "${aws:username}"}},
]
CONTEXT = RequestContext(
    principal=Principal.aws(ROLE),
    keys={"aws:SecureTransport": True, "aws:SourceAccount": A, "aws:SourceVpce": ABSENT, "aws:TagKeys": ["t1", "u"], "aws:username": "x"},
)


def _one_or_many(values: list[str]) -> st.SearchStrategy[Any]:
    return st.lists(st.sampled_from(values), min_size=1, max_size=3).map(lambda v: v[0] if len(v) == 1 else v)


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"]))}
    statement["NotAction" if draw(st.booleans()) and draw(st.booleans()) else "Action"] = draw(_one_or_many(ACTION_PATTERNS))
    statement["NotResource" if draw(st.integers(0, 4)) == 0 else "Resource"] = draw(_one_or_many(RESOURCE_PATTERNS))
    principal = draw(st.sampled_from([None, "*", {"AWS": ROLE}, {"AWS": A}, {"AWS": B}]))
    if principal is not None:
        statement["Principal"] = principal
    cond = draw(st.sampled_from(CONDITIONS))
    if cond is not None:
        statement["Condition"] = cond
    return statement


documents = st.lists(statements(), min_size=1, max_size=5)
requests = st.tuples(st.sampled_from(ACTIONS), st.sampled_from(RESOURCES))


def verdicts(doc_statements: list[dict[str, Any]], action: str, resource: str) -> tuple[Tri, Tri]:
    doc = policy(*doc_statements)
    return allows(doc, action, resource, CONTEXT), denies(doc, action, resource, CONTEXT)


@settings(max_examples=200, deadline=None)
@given(documents, requests, st.randoms(use_true_random=False))
def test_statement_order_does_not_matter(doc: list[dict[str, Any]], request: tuple[str, str], rnd: Any) -> None:
    shuffled = list(doc)
    rnd.shuffle(shuffled)
    assert verdicts(shuffled, *request) == verdicts(doc, *request)


def _recase(value: Any, rnd: Any) -> Any:
    if isinstance(value, list):
        return [_recase(v, rnd) for v in value]
    return "".join(c.upper() if rnd.random() < 0.5 else c.lower() for c in value)


@settings(max_examples=200, deadline=None)
@given(documents, requests, st.randoms(use_true_random=False))
def test_action_case_does_not_matter(doc: list[dict[str, Any]], request: tuple[str, str], rnd: Any) -> None:
    recased = [{k: (_recase(v, rnd) if k in ("Action", "NotAction") else v) for k, v in s.items()} for s in doc]
    action, resource = request
    assert verdicts(recased, _recase(action, rnd), resource) == verdicts(doc, action, resource)


@settings(max_examples=200, deadline=None)
@given(documents, requests, st.data())
def test_splitting_an_action_list_does_not_matter(doc: list[dict[str, Any]], request: tuple[str, str], data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(doc) - 1))
    statement = doc[index]
    actions = statement.get("Action")
    if not isinstance(actions, list) or len(actions) < 2:
        return
    cut = data.draw(st.integers(1, len(actions) - 1))
    split = [*doc[:index], {**statement, "Action": actions[:cut]}, {**statement, "Action": actions[cut:]}, *doc[index + 1 :]]
    assert verdicts(split, *request) == verdicts(doc, *request)


@settings(max_examples=200, deadline=None)
@given(documents, requests, statements())
def test_an_irrelevant_statement_does_not_matter(doc: list[dict[str, Any]], request: tuple[str, str], extra: dict[str, Any]) -> None:
    extra = {k: v for k, v in extra.items() if k not in ("Action", "NotAction")} | {"Action": ["zzz:Unrelated", "ec2:Describe*"]}
    assert verdicts([*doc, extra], *request) == verdicts(doc, *request)


@settings(max_examples=300, deadline=None)
@given(documents, requests, statements())
def test_adding_a_deny_never_allows_more(doc: list[dict[str, Any]], request: tuple[str, str], extra: dict[str, Any]) -> None:
    before_allowed, before_denied = verdicts(doc, *request)
    after_allowed, after_denied = verdicts([*doc, {**extra, "Effect": "Deny"}], *request)
    assert after_allowed.value <= before_allowed.value  # FALSE never becomes TRUE (nor UNKNOWN)
    assert after_denied.value >= before_denied.value


@settings(max_examples=100, deadline=None)
@given(documents, st.sampled_from(ACTIONS))
def test_quantified_answers_agree_with_concrete_ones(doc: list[dict[str, Any]], action: str) -> None:
    """A witness is a real request: TRUE from grants means some concrete request is allowed; FALSE means none."""
    answer = grants(policy(*doc), [action], context=CONTEXT).tri
    concrete = [allows(policy(*doc), action, r, CONTEXT) for r in RESOURCES]
    if answer is Tri.FALSE:
        assert Tri.TRUE not in concrete
    if Tri.TRUE in concrete:
        assert answer is not Tri.FALSE
