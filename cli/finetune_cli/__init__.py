"""``finetune``: the operator's command line (validate, preflight, profiles, report, runs/status/cancel/retry/teardown).

Installed on a laptop or CI runner by ``make setup`` (``pip install -e .``), never shipped in the
Lambda layer. It runs the pipeline's own domain code (``secure_finetune``) with the caller's IAM
rights; its own AWS calls all go through ``finetune_cli.aws``, the only module here that imports
boto3 or botocore.
"""
