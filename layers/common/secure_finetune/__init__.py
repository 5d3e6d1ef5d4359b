"""Secure Bedrock fine-tuning pipeline: domain package shared by every Lambda (the common layer)."""
