"""`make quality`: Murmur's AI outputs measured on labelled development sets (see docs/DATA.md).

Each task is a module here with `evaluate(ctx: QualityContext) -> dict`; `python -m bench.quality` runs
them all and prints one JSON object. `tests/quality/` runs the same evaluators on the fast subset, without
the LLM, and fails below the floors.
"""
