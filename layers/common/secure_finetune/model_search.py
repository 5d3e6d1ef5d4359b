"""Closest known model ids for an id the registry does not know (a typo, another provider's name, a model Bedrock
does not customize): "unknown model 'gpt-4o'; closest known: openai.gpt-oss-20b, ..."."""

from __future__ import annotations

import difflib
import re

from .models import known_models

SHOWN = 3
CUTOFF = 0.3


def _forms(model_id: str, name: str) -> tuple[str, ...]:
    """How people write a model: its id, the id without provider and version, its name."""
    bare = model_id.split(".", 1)[-1]
    return model_id.lower(), re.sub(r"-v\d+(:\d+)?(:\w+)?$", "", bare).lower(), name.lower()


def closest_models(identifier: str, shown: int = SHOWN) -> tuple[str, ...]:
    wanted = identifier.rsplit("/", 1)[-1].lower()
    scored = []
    for model in known_models():
        score = max(difflib.SequenceMatcher(None, wanted, form).ratio() for form in _forms(model.model_id, model.name))
        if score >= CUTOFF:
            scored.append((score, model.customization_id))
    return tuple(model_id for _, model_id in sorted(scored, key=lambda pair: -pair[0])[:shown])


def unknown_model_message(identifier: str) -> str:
    closest = closest_models(identifier)
    known = f"closest known: {', '.join(closest)}" if closest else "no known model is close"
    return f"unknown model {identifier[:100]!r}; {known} (finetune models lists every model)"
