// train-accumulate alone, on steps whose results are not only the loss and
// gradients (train-autodiff returns just those; a pass between it and
// train-sgd may add others).
// RUN: tdopt %s --split-input-file --verify-diagnostics -p 'train-accumulate{micro_batches=2}' | filecheck %s

// What does not depend on the data is computed once: the transposed
// weight. A per-sample result (the predictions) is the micro-batches'
// results concatenated.
// CHECK-LABEL: func.func @shared
// CHECK-SAME: (%x: tensor<2x4xf32>, %t: tensor<2x2xf32>) -> (tensor<f32>, tensor<2x2xf32>)
// CHECK: %[[T:.*]] = train.transpose %w
// CHECK-NOT: train.transpose
// CHECK: %[[P0:.*]] = train.matmul %{{.*}}, %[[T]] : (tensor<1x4xf32>, tensor<4x2xf32>) -> tensor<1x2xf32>
// CHECK: %[[P1:.*]] = train.matmul %{{.*}}, %[[T]] : (tensor<1x4xf32>, tensor<4x2xf32>) -> tensor<1x2xf32>
// CHECK: train.concat %[[P0]], %[[P1]] {axis = 0 : i64} : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<2x2xf32>
func.func @shared(%x: tensor<1x4xf32>, %t: tensor<1x2xf32>) -> (tensor<f32>, tensor<1x2xf32>) attributes {train.result_names = ["loss", "pred"]} {
  %w = train.param @w trainable : tensor<2x4xf32>
  %wt = train.transpose %w {perm = array<i64: 1, 0>} : (tensor<2x4xf32>) -> tensor<4x2xf32>
  %p = train.matmul %x, %wt : (tensor<1x4xf32>, tensor<4x2xf32>) -> tensor<1x2xf32>
  %l = train.mse %p, %t : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<f32>
  func.return %l, %p : tensor<f32>, tensor<1x2xf32>
}

// -----

// CHECK: error: train-accumulate: result 'total' (tensor<4xf32>) depends on the data but is neither the loss, a gradient (NAME_grad) nor per sample (leading dimension 2): no way to combine it over micro-batches
func.func @other(%x: tensor<2x4xf32>, %t: tensor<2x4xf32>) -> (tensor<f32>, tensor<4xf32>) attributes {train.result_names = ["loss", "total"]} {
  %w = train.param @w trainable : tensor<4xf32>
  %y = train.mul %x, %w : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %s = train.reduce_sum %y {axes = array<i64: 0>} : (tensor<2x4xf32>) -> tensor<4xf32>
  %l = train.mse %y, %t : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<f32>
  func.return %l, %s : tensor<f32>, tensor<4xf32>
}
