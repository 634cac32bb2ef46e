"""Rule files: loading (safe YAML with positions, validation, fragments, compilation) and the
slots through which every stage reads them. Nothing here knows the stages: they declare what they
read (ruleset.slots), and the tooling that checks rules sits above them (kttt_extract.ruletools).
"""

from kttt_extract.ruleset.load import RuleSet, load_rules, shipped_rules_dir

__all__ = ["RuleSet", "load_rules", "shipped_rules_dir"]
