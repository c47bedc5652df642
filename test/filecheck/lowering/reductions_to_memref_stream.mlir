// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory,kernel-fuse-fill,convert-reductions-to-memref-stream,memref-stream-unnest-out-parameters,memref-stream-fold-fill' | filecheck %s

// The matmul's reduction goes to the memref_stream level; the zero fill
// kernel-fuse-fill put before it becomes memref_stream.fill, which
// memref-stream-fold-fill folds into the generic's initial value: the
// output is written, never read.
// CHECK-LABEL: func.func @k_matmul_0_1_from_fill
// CHECK-NEXT:  %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NOT:   fill
// CHECK:       memref_stream.generic {
// CHECK:       outs(%{{.*}} : memref<4x4xf32>) inits(%[[ZERO]] : f32)
// CHECK-NOT:   fill
// CHECK:       func.return
func.func @main(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>) -> tensor<4x4xf32> {
  %c = train.matmul %a, %b : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  func.return %c : tensor<4x4xf32>
}
