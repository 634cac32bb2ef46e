"""Rule files: loading, validation and compiled access for the extractors."""

from kttt_extract.ruleset.load import RuleSet, load_rules, shipped_rules_dir

__all__ = ["RuleSet", "load_rules", "shipped_rules_dir"]
