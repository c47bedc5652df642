"""tdopt.lowering"""
