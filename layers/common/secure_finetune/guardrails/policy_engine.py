"""One IAM policy evaluator for every guardrail that reads a policy: semantics, not text matching.

A guardrail asks a question; the engine answers with a :class:`Tri` — ``TRUE``, ``FALSE`` or ``UNKNOWN`` — and a
guardrail treats ``UNKNOWN`` as blocking. Anything the engine cannot prove is ``UNKNOWN``, never a guess.

API (all functions are pure; ``policy`` is the parsed JSON document, ``Statement`` a dict or a list)::

    allows(policy, action, resource, context=None) -> Tri     # some Allow applies and no Deny does
    denies(policy, action, resource, context=None) -> Tri     # some Deny applies
    decide(policy, action, resource, context=None) -> (allowed, denied)
    RequestContext(principal=None, keys={...}, complete=False)
    Principal.aws(arn) / Principal.service(name) / ANONYMOUS / Principal(kind, id, account)
    ABSENT                                   # a key known not to be in the request
    SomeAccount(excluded) / SomeArn(account)  # symbolic "some account other than ..." / "any ARN in ..."
    Matching(glob)                           # as action/resource: "every action (resource) this glob matches"

    outside_access(policy, action, resource, account, context=None) -> Answer
        may any principal outside ``account`` be allowed? (IAM principals of every named and of "some other"
        account, named principals, anonymous, each named and one unnamed service principal carrying
        aws:SourceAccount/aws:SourceArn absent, named, or foreign)
    denies_everyone(policy, action, resource, account, context=None) -> Answer
        does an explicit Deny cover every requester (e.g. the TLS Deny with aws:SecureTransport=false)?
    grants(policy, actions, excluding_actions=(), resources=("*",), excluding_resources=(), account=None,
           context=None) -> Answer
        does any Allow grant SOME action in ``actions`` minus ``excluding_actions`` on SOME resource likewise?
    service_bound(policy, service, account, source_arn, action="sts:AssumeRole") -> Answer
        is every Allow path for the service bound to aws:SourceAccount == account AND aws:SourceArn within
        ``source_arn``? TRUE is a proof, FALSE carries a request that gets through.
    Answer(tri, reason)                      # ``reason`` names the witness a guardrail can report

What it implements (IAM User Guide: "IAM JSON policy elements: Condition operators", "Conditions with multiple
context keys or values", "Single-valued vs. multivalued context keys", "Policy evaluation logic"):
- explicit Deny beats Allow; no Allow is an implicit deny; ``NotAction``/``NotResource``/``NotPrincipal`` match
  what they do not list; actions match case-insensitively (``IAM:*`` = ``iam:*``), resources case-sensitively,
  both with ``*``/``?``; a resource glob whose ``*`` could span ARN fields either way is UNKNOWN;
- principals: ``*`` and ``{"AWS": "*"}`` match everyone; an account id or ``:root`` ARN matches every principal
  of the account; a role/user ARN matches itself; Service/Federated/CanonicalUser match by name;
- every condition operator family (String, Numeric, Date, Bool, Binary, IpAddress, Arn, Null) with ``Not``,
  ``...IfExists`` and ``ForAnyValue:``/``ForAllValues:``; values OR (NOR when negated), keys and operators AND;
  an absent key makes a condition false, a negated one true, ``...IfExists`` and ``ForAllValues`` true,
  ``ForAnyValue`` false; ``Null`` tests presence; keys are case-insensitive.

How quantification works: a symbolic request value stands for a set of requests, and TRUE/FALSE then mean
"for all of them"/"for none" (Kleene logic is sound for that reading). "Some foreign account" is
``SomeAccount(excluded)``: it differs from our account and from every account the policy names (those are tried
one by one). A service principal brings its own aws:SourceAccount/aws:SourceArn, each absent, ours, a named
account's or a foreign one. Existential answers are TRUE only with a concrete (or all-members) witness, and FALSE
only by proof (no Allow can reach the set) or when every candidate class is FALSE.

What it does NOT model, and how that fails closed:
- only the one document given: no permission boundaries, SCPs/RCPs, session policies, ACLs, the other side of a
  cross-account request (identity vs resource policy), the KMS "root principal delegates to IAM" rule, or grants
  — answer each with a separate call; the engine never assumes another layer denies;
- no catalogue of real actions: ``ec2:*`` stands for "every ec2 action"; witnesses such as ``zq7:zq7`` are
  strings, not API names (hence no dependency: policyuniverse/policy_sentry ship megabytes of action data for
  expansion we do not need, parliament is a linter and none of them evaluates conditions three-valued; this
  package is about 1,000 lines with its docstrings, pure Python, no dependency);
- policy variables (``${aws:username}``), unknown operators, operator names in other spellings, malformed
  elements, wildcards in principal ARNs, a single-valued operator fed a list, and condition keys the caller did
  not supply (unless ``RequestContext(complete=True)``) are UNKNOWN;
- a service principal's own aws:PrincipalAccount/kms:CallerAccount is taken to be absent or an account that is
  not ours (both are tried); its aws:PrincipalArn is UNSET. ``{"AWS": "*"}`` is read as ``"*"`` (the docs call
  them equivalent), so it also matches service principals;
- which keys a service really sends (aws:SourceAccount absent for some), org membership (aws:PrincipalOrgID),
  and service-specific keys (kms:ViaService, kms:EncryptionContext:*) are the caller's to supply: left out they
  stay UNKNOWN, and an attacker-chosen value is not enumerated;
- glob inclusion is decided by a sound, incomplete test; when it cannot decide, the answer is UNKNOWN.
"""

from __future__ import annotations

from .policy.conditions import OPERATORS, parse_operator
from .policy.core import ABSENT, Matching, SomeAccount, SomeArn, Tri, glob_contains, glob_intersects, glob_match
from .policy.evaluate import ANONYMOUS, Principal, RequestContext, allows, decide, denies
from .policy.questions import Answer, Candidate, denies_everyone, grants, outside_access, principal_candidates, service_bound

__all__ = [
    "ABSENT",
    "ANONYMOUS",
    "OPERATORS",
    "Answer",
    "Candidate",
    "Matching",
    "Principal",
    "RequestContext",
    "SomeAccount",
    "SomeArn",
    "Tri",
    "allows",
    "decide",
    "denies",
    "denies_everyone",
    "glob_contains",
    "glob_intersects",
    "glob_match",
    "grants",
    "outside_access",
    "parse_operator",
    "principal_candidates",
    "service_bound",
]
