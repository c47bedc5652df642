// Steps train-accumulate cannot split are diagnostics, not tracebacks.
// RUN: tdopt %s --split-input-file --verify-diagnostics -p 'train-autodiff,train-accumulate{micro_batches=2}' | filecheck %s
// RUN: tdopt %s --split-input-file --verify-diagnostics -p 'train-accumulate{micro_batches=0}' | filecheck %s --check-prefix=ZERO

// ZERO: error: train-accumulate: micro_batches must be >= 1, got 0

// CHECK: error: train-accumulate: the arguments of @mixed have different leading dimensions: 2 (x); 1 (t); every argument (inputs, labels) must have the batch leading, the same size for all
func.func @mixed(%x: tensor<2x4xf32>, %t: tensor<1x4xf32>) -> tensor<f32> {
  %w = train.param @w trainable : tensor<2x4xf32>
  %y = train.mul %x, %w : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %s = train.reduce_sum %y {axes = array<i64: 0>, keepdims} : (tensor<2x4xf32>) -> tensor<1x4xf32>
  %l = train.mse %s, %t : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<f32>
  func.return %l : tensor<f32>
}

// -----

// CHECK: error: train-accumulate: argument 's' of @scalar is tensor<f32>; every argument must be a tensor with the batch as its leading dimension
func.func @scalar(%x: tensor<2x4xf32>, %s: tensor<f32>) -> tensor<f32> {
  %w = train.param @w trainable : tensor<4xf32>
  %y = train.mul %x, %w : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %z = train.mul %y, %s : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %l = train.reduce_mean %z {axes = array<i64: 0, 1>} : (tensor<2x4xf32>) -> tensor<f32>
  func.return %l : tensor<f32>
}

// -----

// CHECK: error: train-accumulate: a training-mode train.batchnorm takes its statistics over the whole batch, which micro-batches would change; fold it (train-fold-batchnorm) or use its inference mode
func.func @bn(%x: tensor<2x3x4x4xf32>, %t: tensor<2x3x4x4xf32>) -> tensor<f32> {
  %g = train.param @g trainable : tensor<3xf32>
  %b = train.param @b trainable : tensor<3xf32>
  %m = train.param @m : tensor<3xf32>
  %v = train.param @v : tensor<3xf32>
  %y = train.batchnorm %x, %g, %b, %m, %v {epsilon = 1.0e-05 : f32, training} : (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4x4xf32>
  %l = train.mse %y, %t : (tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>) -> tensor<f32>
  func.return %l : tensor<f32>
}

