// Every node tdopt cannot express is named in one diagnostic line, with its
// op type and domain; no traceback, a non-zero exit.

// RUN: python %S/inputs/make_onnx.py unsupported %t.onnx
// RUN: not python -m tdopt.tools.tdimport %t.onnx -o %t.mlir 2>&1 | filecheck %s
// RUN: python %S/inputs/make_onnx.py mlp %t.mlp.onnx
// RUN: not python -m tdopt.tools.tdimport %t.mlp.onnx --trainable nothing_like_this 2>&1 | filecheck %s --check-prefix=NAME
// RUN: not python -m tdopt.tools.tdimport %t.mlp.onnx --loss mse 2>&1 | filecheck %s --check-prefix=LABEL

// CHECK: error: cannot import 3 ONNX node(s): 'hardmax' (Hardmax, domain ai.onnx); 'cumsum' (CumSum, domain ai.onnx); 'attn' (Attention, domain com.microsoft)
// CHECK-NOT: Traceback

// NAME: error: --trainable: no parameter named 'nothing_like_this'
// LABEL: error: --loss needs --label NAME
