"""The guardrail rules, one module per check family; each rule is a pure function of its evidence."""
