"""Tests of the benchmark scripts' own parts (never of textback's speed)."""

import importlib.util
import sys

from tests.support.harness import ROOT


def script(name: str):
    """bench/<name>.py as a module (bench/ is a folder of scripts, not a package)."""
    module_name = f"bench_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, ROOT / "bench" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]
