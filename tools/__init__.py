"""tdopt.tools"""
