"""The IAM policy evaluator, split in parts; import it from :mod:`secure_finetune.guardrails.policy_engine`."""
