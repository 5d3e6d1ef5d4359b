"""Powertools singletons shared by every handler (one service name: the pipeline)."""

from aws_lambda_powertools import Logger, Tracer

logger = Logger(service="secure-finetune")
tracer = Tracer(service="secure-finetune")
