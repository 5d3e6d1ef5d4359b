"""Powertools singletons shared by every handler (one service name: the pipeline)."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="secure-finetune")
tracer = Tracer(service="secure-finetune")
metrics = Metrics(namespace="SecureFinetune", service="secure-finetune")
