"""tdopt.dialects"""
