"""Write a synthetic corpus with planted labels (the generator lives in tests/support/synth.py).

python bench/synth.py --passages 50000 --out bench/out/corpus-50000
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.synth import main  # noqa: E402

if __name__ == "__main__":
    main()
