// tdimport: ONNX -> train module, parameters by initializer name, the
// weights file beside the output, trainables chosen by glob, a loss added.

// RUN: python %S/inputs/make_onnx.py mlp %t.onnx
// RUN: python -m tdopt.tools.tdimport %t.onnx -o %t.mlir --inline-threshold 0
// RUN: filecheck %s --check-prefix=PLAIN --input-file %t.mlir
// RUN: python -c "import numpy, sys; print(sorted(numpy.load(sys.argv[1]).files))" %t.npz | filecheck %s --check-prefix=NPZ
// RUN: python -m tdopt.tools.tdimport %t.onnx -o %t.loss.mlir --trainable 'fc.*' --loss cross-entropy --label labels
// RUN: filecheck %s --check-prefix=LOSS --input-file %t.loss.mlir
// RUN: tdopt %t.loss.mlir | filecheck %s --check-prefix=LOSS

// PLAIN:      builtin.module attributes {train.weights = "{{.*}}.npz"} {
// PLAIN-NEXT:   func.func @main(%input.0: tensor<2x4xf32>) -> tensor<2x3xf32>
// PLAIN-SAME:     train.arg_names = ["input.0"]
// PLAIN-SAME:     train.result_names = ["logits"]
// PLAIN-NEXT:     %fc.weight = train.param @fc.weight : tensor<3x4xf32>
// PLAIN-NEXT:     %fc.bias = train.param @fc.bias : tensor<3xf32>
// PLAIN-NEXT:     %h = train.gemm %input.0, %fc.weight, %fc.bias {trans_b} : (tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// PLAIN-NEXT:     %logits = train.relu %h
// PLAIN-NEXT:     func.return %logits : tensor<2x3xf32>

// NPZ: ['fc.bias', 'fc.weight']

// LOSS:      func.func @main(%input.0: tensor<2x4xf32>, %labels: tensor<2xi64>) -> tensor<f32>
// LOSS-SAME:   train.arg_names = ["input.0", "labels"]
// LOSS-SAME:   train.result_names = ["loss"]
// LOSS-DAG:    train.param @fc.weight trainable = dense<{{.*}}> : tensor<3x4xf32>
// LOSS-DAG:    train.param @fc.bias trainable = dense<{{.*}}> : tensor<3xf32>
// LOSS:        %[[L:.*]] = train.cross_entropy %logits, %labels
// LOSS-NEXT:   func.return %[[L]] : tensor<f32>
