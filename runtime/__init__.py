"""tdopt.runtime"""
