"""Writes the small ONNX models the tdimport lit tests import.

    python make_onnx.py KIND OUT.onnx      KIND: mlp | unsupported
"""

import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

kind, out = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(0)
nodes = [
    helper.make_node("Gemm", ["input.0", "fc.weight", "fc.bias"], ["h"], name="fc", transB=1),
    helper.make_node("Relu", ["h"], ["logits"], name="act"),
]
if kind == "unsupported":
    nodes += [
        helper.make_node("Hardmax", ["logits"], ["e"], name="hardmax"),
        helper.make_node("CumSum", ["e", "s"], ["z"], name="cumsum"),
        helper.make_node("Attention", ["z"], ["out"], name="attn", domain="com.microsoft"),
    ]
g = helper.make_graph(
    nodes,
    "mlp",
    [helper.make_tensor_value_info("input.0", TensorProto.FLOAT, [2, 4])],
    [helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, None)],
    [numpy_helper.from_array(rng.standard_normal((3, 4)).astype(np.float32), "fc.weight"),
     numpy_helper.from_array(rng.standard_normal(3).astype(np.float32), "fc.bias"),
     numpy_helper.from_array(np.array([0], np.int64), "s")],
)
save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                         helper.make_opsetid("com.microsoft", 1)]), out)
