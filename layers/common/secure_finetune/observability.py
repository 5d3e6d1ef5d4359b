"""Powertools singletons shared by every handler (one service name: the pipeline).

Metrics (CloudWatch embedded metric format, namespace ``SecureFinetune``) are emitted by the
handlers, never by the domain: RunsStarted, RunsSucceeded, RunsFailed, RunsRejected (stopped
before any spend: settings, dataset or guardrails), JobDurationSeconds, and from the reconciler
QueuedRuns, OverdueTrainingWaits and LostEventsRecovered. The template alarms and charts them.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="secure-finetune")
tracer = Tracer(service="secure-finetune")
metrics = Metrics(namespace="SecureFinetune", service="secure-finetune")
