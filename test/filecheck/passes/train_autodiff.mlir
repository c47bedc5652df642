// RUN: tdopt %s --split-input-file -p train-autodiff | filecheck %s

// Only the trainable head is differentiated: no gradient flows into the
// frozen convolution, and the statistics say how many ops were skipped.
// CHECK-LABEL: func.func @frozen_encoder
// CHECK-SAME: -> (tensor<f32>, tensor<2x8xf32>, tensor<2xf32>)
// CHECK-SAME: train.result_names = ["loss", "fc_w_grad", "fc_b_grad"]
// CHECK-SAME: train.autodiff = {differentiated = 2 : i64, skipped = 4 : i64
// CHECK: %[[L:.*]] = train.cross_entropy %[[O:.*]], %labels
// CHECK: %[[ONE:.*]] = train.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[DO:.*]] = grad.cross_entropy %[[O]], %labels, %[[ONE]]
// CHECK: %[[DW:.*]] = train.gemm %[[DO]], %f {trans_a}
// CHECK: %[[DB:.*]] = train.reduce_sum %[[DO]] {axes = array<i64: 0>}
// CHECK-NOT: grad.conv2d
// CHECK-NOT: grad.maxpool2d
// CHECK: func.return %[[L]], %[[DW]], %[[DB]]
func.func @frozen_encoder(%x: tensor<1x1x6x6xf32>, %labels: tensor<1xi64>) -> tensor<f32> {
  %w = train.param @conv_w : tensor<2x1x3x3xf32>
  %fc = train.param @fc_w trainable : tensor<2x8xf32>
  %fb = train.param @fc_b trainable : tensor<2xf32>
  %c = train.conv2d %x, %w : (tensor<1x1x6x6xf32>, tensor<2x1x3x3xf32>) -> tensor<1x2x4x4xf32>
  %r = train.relu %c : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %p = train.maxpool2d %r {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %f = train.reshape %p : (tensor<1x2x2x2xf32>) -> tensor<1x8xf32>
  %o = train.gemm %f, %fc, %fb {trans_b} : (tensor<1x8xf32>, tensor<2x8xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %l = train.cross_entropy %o, %labels : (tensor<1x2xf32>, tensor<1xi64>) -> tensor<f32>
  func.return %l : tensor<f32>
}

// -----

// A trainable first layer: the backward pass runs through maxpool, relu and
// the convolution's weight gradient, but never computes the (unneeded)
// gradient of the network input. The relu's gradient is masked by its
// output %r, not its input %c (the same mask: %c need not be kept).
// CHECK-LABEL: func.func @full_backprop
// CHECK-SAME: train.result_names = ["loss", "conv_w_grad", "fc_w_grad"]
// CHECK-SAME: skipped = 0 : i64
// CHECK: grad.maxpool2d %r, %{{.*}} {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>}
// CHECK: grad.relu %r, %{{.*}} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
// CHECK: grad.conv2d_weight %x, %{{.*}} {kernel = array<i64: 3, 3>} : (tensor<1x1x6x6xf32>, tensor<1x2x4x4xf32>) -> tensor<2x1x3x3xf32>
// CHECK-NOT: grad.conv2d_input
func.func @full_backprop(%x: tensor<1x1x6x6xf32>, %labels: tensor<1xi64>) -> tensor<f32> {
  %w = train.param @conv_w trainable : tensor<2x1x3x3xf32>
  %fc = train.param @fc_w trainable : tensor<2x8xf32>
  %c = train.conv2d %x, %w : (tensor<1x1x6x6xf32>, tensor<2x1x3x3xf32>) -> tensor<1x2x4x4xf32>
  %r = train.relu %c : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %p = train.maxpool2d %r {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %f = train.reshape %p : (tensor<1x2x2x2xf32>) -> tensor<1x8xf32>
  %o = train.gemm %f, %fc {trans_b} : (tensor<1x8xf32>, tensor<2x8xf32>) -> tensor<1x2xf32>
  %l = train.cross_entropy %o, %labels : (tensor<1x2xf32>, tensor<1xi64>) -> tensor<f32>
  func.return %l : tensor<f32>
}

// -----

// Fan-out: a parameter used twice gets the sum of both gradients.
// CHECK-LABEL: func.func @fan_out
// CHECK: %[[D:[0-9]+]] = train.sub %sq, %t
// CHECK: %[[G:[0-9]+]] = train.mul %[[D]], %{{[0-9]+}} : (tensor<3xf64>, tensor<f64>) -> tensor<3xf64>
// CHECK: %[[G1:[0-9]+]] = train.mul %[[G]], %w
// CHECK: %[[G2:[0-9]+]] = train.mul %[[G]], %w
// CHECK: %[[SUM:.*]] = train.add %[[G1]], %[[G2]] : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
// CHECK: func.return %{{.*}}, %[[SUM]] : tensor<f64>, tensor<3xf64>
func.func @fan_out(%t: tensor<3xf64>) -> tensor<f64> {
  %w = train.param @w trainable : tensor<3xf64>
  %sq = train.mul %w, %w : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
  %l = train.mse %sq, %t : (tensor<3xf64>, tensor<3xf64>) -> tensor<f64>
  func.return %l : tensor<f64>
}

// -----

// Broadcasting: the gradient of a [C] bias added to [N, T, C] is summed over
// the leading dimensions; a softmax and a layernorm get their grad ops, in
// reverse program order.
// CHECK-LABEL: func.func @attention_like
// CHECK: grad.layernorm %x, %g, %{{.*}} {axis = 2 : i64, epsilon = 1.000000e-05 : f32} : (tensor<2x3x4xf32>, tensor<4xf32>, tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK: grad.softmax %s, %{{.*}} {axis = -1 : i64}
// CHECK: train.reduce_sum %{{.*}} {axes = array<i64: 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4xf32>
func.func @attention_like(%x: tensor<2x3x4xf32>, %t: tensor<2x3x4xf32>) -> tensor<f32> {
  %b = train.param @b trainable : tensor<4xf32>
  %g = train.param @g trainable : tensor<4xf32>
  %y = train.add %x, %b : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  %s = train.softmax %y {axis = -1 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %n = train.layernorm %x, %g {axis = 2 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  %z = train.mul %s, %n : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %l = train.mse %z, %t : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<f32>
  func.return %l : tensor<f32>
}
