"""Write template.yaml as CloudFormation sees it after the SAM transform (for checkov)."""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "common")]

from local.stack import translated_template  # noqa: E402

if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(translated_template(ROOT), indent=1))
