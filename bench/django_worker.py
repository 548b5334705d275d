"""Child process of `databases.run_worker`: set Django up on the scratch database,
migrate it, call the target and write what it returns as JSON."""

import importlib
import json
import sys
import warnings
from pathlib import Path


def main(request_path: str, response_path: str) -> None:
    import django

    # WhiteNoise warns once per process when collectstatic has not run; benchmarks serve
    # no static files.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from core.heap import freeze_startup_heap

    freeze_startup_heap()  # as web and task workers do once started (core/heap.py)
    request = json.loads(Path(request_path).read_text())
    module_name, function_name = request["target"].split(":")
    function = getattr(importlib.import_module(module_name), function_name)
    Path(response_path).write_text(json.dumps(function(request["options"])))


if __name__ == "__main__":
    main(*sys.argv[1:3])
