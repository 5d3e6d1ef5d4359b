"""The example reward function for reinforcement fine-tuning (functions/rft_grader): scores a batch of model
answers against each prompt's reference answer, never logging or echoing what they say."""

from .score import GradedSample, GraderInputError, grade_batch

__all__ = ["GradedSample", "GraderInputError", "grade_batch"]
