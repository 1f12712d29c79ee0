"""The demo city 示范市 (990100000000) in the synthetic province 99, made deterministically from a seed."""

from grids.demo.load import DemoSummary, load_demo

__all__ = ["DemoSummary", "load_demo"]
