"""Data package: the rule files shipped with kttt_extract (found with importlib.resources)."""
