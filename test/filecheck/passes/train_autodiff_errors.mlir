// Bad inputs to train-autodiff are diagnostics, not tracebacks.
// RUN: tdopt %s --split-input-file --verify-diagnostics -p train-autodiff | filecheck %s

// CHECK: error: train-autodiff: the loss of @not_scalar must be a scalar (rank-0 tensor), got tensor<2xf32>
func.func @not_scalar(%x: tensor<2xf32>) -> tensor<2xf32> {
  %w = train.param @w trainable : tensor<2xf32>
  %y = train.mul %x, %w : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  func.return %y : tensor<2xf32>
}

// -----

// CHECK: error: train-autodiff: @frozen has no trainable parameter
func.func @frozen(%x: tensor<2xf32>) -> tensor<f32> {
  %w = train.param @w : tensor<2xf32>
  %l = train.mse %x, %w : (tensor<2xf32>, tensor<2xf32>) -> tensor<f32>
  func.return %l : tensor<f32>
}

// -----

// CHECK: error: train-autodiff: @two returns 2 results and none is named 'loss' (results: result0, result1)
func.func @two(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  %w = train.param @w trainable : tensor<2xf32>
  %y = train.mul %x, %w : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  func.return %y, %y : tensor<2xf32>, tensor<2xf32>
}

// -----

// CHECK: error: train-autodiff: expected exactly one function in the module, found @a, @b; choose one with the `function` option
func.func @a() {
  func.return
}
func.func @b() {
  func.return
}
