"""tdopt: an xDSL compiler from small neural networks to on-device training steps."""
