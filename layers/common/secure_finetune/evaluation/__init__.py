"""Evaluation gate: is the custom model better than its base model, judged before anyone pays to keep it?

After the smoke test, held-out prompts (the run's validation file, or an evaluation file the profile
names) become a Bedrock evaluation dataset under ``reports/<run>/evaluation/`` (SSE-KMS, our key), and
two model evaluation jobs score the base model and the deployed custom model with the same judge and the
same built-in metrics. The gate compares them per metric; a model that fails is torn down (the custom
model itself is kept) and the run ends ``EVALUATION_GATE_FAILED:<metric>[,...]``.

API facts this package builds on (botocore 1.44.8 ``bedrock`` service model, and the user guide):

* ``CreateEvaluationJob.inferenceConfig.models`` holds 1-2 models, and "for automated model evaluation
  jobs, only a single model is supported" (shape ``EvaluationInferenceConfig``; two are for human jobs):
  so one automated job per evaluated model, two jobs per run.
* A judge job is ``evaluationConfig.automated`` with ``evaluatorModelConfig.bedrockEvaluatorModels``
  (exactly one judge) and ``Builtin.*`` metric names (``EvaluationDatasetMetricConfig.metricNames``):
  Correctness, Completeness, Faithfulness, Helpfulness, Coherence, Relevance, FollowingInstructions,
  ProfessionalStyleAndTone, and the responsible-AI Harmfulness, Stereotyping, Refusal. Programmatic jobs
  (no judge) take Builtin.Accuracy, Robustness, Toxicity.
* The generator's ``modelIdentifier`` pattern admits foundation models, inference profiles and
  ``provisioned-model`` ARNs, not ``custom-model-deployment`` ARNs; ``EvaluationModelConfig`` is a union whose
  other member, ``precomputedInferenceSource``, judges answers brought in the dataset (``modelResponses``, one
  per prompt, labelled with its ``inferenceSourceIdentifier``). So a model deployed on demand answers the
  prompts through the private endpoint first (``answers.py``), and its job judges those answers.
  https://docs.aws.amazon.com/bedrock/latest/APIReference/API_EvaluationModelConfig.html
* ``GetEvaluationJob`` takes the job ARN only (``EvaluationJobIdentifier`` pattern); a crashed create is
  found again by its deterministic name with ``ListEvaluationJobs(nameContains=...)``.
* Prompt datasets are JSONL in S3 with ``prompt``, ``referenceResponse`` (what Correctness/Completeness
  compare against) and optional ``category``; at most 1000 prompts per job.
  https://docs.aws.amazon.com/bedrock/latest/userguide/model-evaluation-prompt-datasets-judge.html
* Results land as JSONL under ``<output>/<job-name>/<job-uuid>/models/<model-id>/taskTypes/<task>/
  datasets/<dataset>/<file-uuid>_output.jsonl``, one line per prompt with
  ``automatedEvaluationResult.scores[{metricName, result}]``.
  https://docs.aws.amazon.com/bedrock/latest/userguide/model-evaluation-report-s3.html
* Bedrock documents EventBridge events for model customization and batch inference jobs only, not for
  evaluation jobs, so the state machine waits with a bounded Wait/Check loop.
  https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring-eventbridge-how-it-works.html
* ``customerEncryptionKeyId`` encrypts the job's temporary copy; the key policy lets
  bedrock.amazonaws.com use the key only with ``kms:EncryptionContext:evaluationJobArn`` and
  ``aws:SourceArn`` on this account's ``evaluation-job/*``.
  https://docs.aws.amazon.com/bedrock/latest/userguide/model-evaluation-security-kms.html
"""
