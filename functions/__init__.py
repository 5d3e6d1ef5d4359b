"""The Lambda handlers, one folder (code URI) per function."""
