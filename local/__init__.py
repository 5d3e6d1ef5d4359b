"""Embedded-emulator runner (dev and test only): the real template and state machine on moto.

Everything here is an *emulator stand-in*: it fills gaps in moto so the real template,
the real ASL and the real handlers can run on a laptop. Nothing here is deployed.
"""

import os

# Quiet handler logs on the terminal unless asked for (set before any handler's Logger exists).
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
