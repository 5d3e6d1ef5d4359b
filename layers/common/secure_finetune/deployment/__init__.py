"""Deployment: plan and price before spending, buy or deploy under the cap, smoke-test, schedule the teardown.

Order matters for the bill: the purchase checks (GR-JOB-07/08), the account's free capacity and
the cost are settled in ``plan_deployment`` *before* an approver is asked and before anything is
bought; a throughput is reused rather than bought twice for one model; and every purchase gets a
one-time teardown schedule unless its time-to-live is 0.
"""
