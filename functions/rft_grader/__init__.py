"""Example reward function (grader) for reinforcement fine-tuning."""
