"""Keeping startup objects out of the garbage collector's way in long-lived processes.

What a web or task worker loads at startup (Django, the models, URL patterns, templates,
compiled catalogs) is most of its heap and lives as long as the process, yet every full
collection scans it again. Freezing it once startup is done leaves the collector only what
requests and tasks allocate (CPython's `gc.freeze`): a trigger-matching batch spent about
a tenth of its time in collections before (bench/README.md, "Triggers")."""

import gc


def freeze_startup_heap(*, collect: bool = True) -> None:
    """Move every object into the permanent generation, after a collection unless
    `collect` is off: in a child just forked, a collection would touch (and so unshare)
    every page inherited from the parent, while freezing only relinks two lists."""
    if collect:
        gc.collect()
    gc.freeze()
