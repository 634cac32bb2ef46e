"""The rule tooling, above the pipeline it runs: checking rule files (schema, patterns, the
stages' slots, examples, `--strict`) and running their examples through the whole pipeline."""
