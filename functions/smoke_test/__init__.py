"""Lambda handler package (the function's code URI)."""
