"""Fill the template's DefinitionSubstitutions placeholders so asl-validator can check the ASL.

A value that is exactly ``${Name}`` (a whole Resource) is accepted by asl-validator as is; a
placeholder inside a longer string (``arn:${Partition}:states:::...``) gets a valid stand-in.
"""

import json
import re
import sys
from pathlib import Path

_STAND_INS = {"Partition": "aws"}


def substitute(value: object) -> object:
    if isinstance(value, str):
        if re.fullmatch(r"\$\{[^}]+\}", value):
            return value
        return re.sub(r"\$\{([^}]+)\}", lambda m: _STAND_INS.get(m.group(1), "x"), value)
    if isinstance(value, list):
        return [substitute(item) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item) for key, item in value.items()}
    return value


if __name__ == "__main__":
    source, target = sys.argv[1:3]
    Path(target).write_text(json.dumps(substitute(json.loads(Path(source).read_text())), indent=2))
