"""pz benchmarks: `python bench/run.py <name>|all`; figures are ratios against a baseline
measured in the same run (see bench/README.md)."""
