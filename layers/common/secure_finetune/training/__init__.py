"""Training: launch in the VPC with our key, wait for Bedrock's event (task token, reconciler), read the metrics,
and share the account's concurrent-job quota through job slots.
"""
