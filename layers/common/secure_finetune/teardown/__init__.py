"""Teardown: nothing bought outlives its time-to-live or the stack (schedules, retries, the stack guard)."""
