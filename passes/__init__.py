"""tdopt.passes"""
