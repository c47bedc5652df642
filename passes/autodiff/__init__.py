"""Reverse-mode automatic differentiation of `train` functions."""

from tdopt.passes.autodiff.autodiff_pass import TrainAutodiffPass

__all__ = ["TrainAutodiffPass"]
