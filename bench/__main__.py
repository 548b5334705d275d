"""`python -m bench ingest` is the same as `python bench/run.py ingest`."""

import sys

from bench.run import main

sys.exit(main())
